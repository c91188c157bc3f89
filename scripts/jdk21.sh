#!/usr/bin/env bash
# Prints the home of a JDK 21, the oldest JDK the library supports, for bin/test's second pass
# (the tests run again on it). In order: JDK21_HOME if set; a JDK 21 under /usr/lib/jvm; a copy
# cached under ${XDG_CACHE_HOME:-~/.cache}/wsgiserver/jdk21, made once (130 MB to fetch, 300 MB on disk, 10 s here)
# from Debian 13's openjdk-21 packages. Debian 12, what our machines run, has no JDK 21, and
# Debian 13's needs a newer C library than Debian 12's, so the copy comes with Debian 13's C library
# and its programs are pointed at it (patchelf, also from Debian 13): nothing is installed on the
# system, apt-get only downloads, with a source list of its own. Exits 1 with the reason on
# standard error when no JDK 21 can be had (no apt-get, no network...).
set -euo pipefail

fail() { echo "scripts/jdk21.sh: $*" >&2; exit 1; }

JDK_FUNCTIONS_ONLY=1 . "$(dirname "$0")/../bin/jdk.sh" # java_major, jdk_ok

is_jdk21() { # $1 = a JDK home
  jdk_ok "$1" && [ "$(java_major "$1/bin/java")" = 21 ]
}

if [ -n "${JDK21_HOME:-}" ]; then
  is_jdk21 "$JDK21_HOME" || fail "JDK21_HOME=$JDK21_HOME is not a JDK 21"
  echo "$JDK21_HOME"; exit 0
fi
for home in /usr/lib/jvm/*21*/; do
  home=${home%/}
  if is_jdk21 "$home"; then echo "$home"; exit 0; fi
done

cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/wsgiserver
target=$cache/jdk21
if is_jdk21 "$target/jdk"; then echo "$target/jdk"; exit 0; fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || fail "needs apt-get and dpkg-deb (Debian) to fetch one; or set JDK21_HOME"
[ "$(uname -m)" = x86_64 ] || fail "fetches x86-64 packages only; set JDK21_HOME"
mkdir -p "$cache"
work=$(mktemp -d "$cache/jdk21-work.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "scripts/jdk21.sh: fetching a JDK 21 from Debian 13 into $target (once)" >&2

mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/debs" "$work/root"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$work/sources.list"
apt=(apt-get -q -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o Dir::Etc::Preferences=/nonexistent -o Dir::Etc::PreferencesParts=/nonexistent
     -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work" -o Dir::Cache::Archives="$work/archives"
     -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" -o Acquire::http::Timeout=30 -o Acquire::Retries=1)
"${apt[@]}" update > "$work/apt.log" 2>&1 || fail "apt-get update from Debian 13 failed: $(tail -n 3 "$work/apt.log")"
(cd "$work/debs" && "${apt[@]}" download openjdk-21-jre-headless openjdk-21-jdk-headless \
    libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 patchelf >> "$work/apt.log" 2>&1) \
  || fail "apt-get download failed: $(tail -n 3 "$work/apt.log")"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

jdk=$work/root/usr/lib/jvm/java-21-openjdk-amd64
libs=$work/root/usr/lib/x86_64-linux-gnu
[ -x "$jdk/bin/java" ] && [ -e "$libs/ld-linux-x86-64.so.2" ] || fail "unexpected package layout"
mkdir -p "$work/out"
cp -a "$libs" "$work/out/lib"
patchelf=("$work/out/lib/ld-linux-x86-64.so.2" --library-path "$work/out/lib" "$work/root/usr/bin/patchelf")
# The packages link parts of the JDK to /etc (its configuration) and to the system's CA store:
# copy what exists, drop the rest (no CA store: an empty trust store, which the tests do not use).
cp -a "$jdk" "$work/out/jdk"
find "$work/out/jdk" -type l | while read -r link; do
  to=$(readlink "$link")
  case $to in
    /*) rm "$link"
        if [ -e "$work/root$to" ]; then cp -a "$work/root$to" "$link"; fi ;;
  esac
done
# Every program and library now finds its loader and C library in $target/lib: the paths are final.
find "$work/out/jdk" -type f | while read -r file; do
  [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  if "${patchelf[@]}" --print-interpreter "$file" > /dev/null 2>&1; then
    "${patchelf[@]}" --set-interpreter "$target/lib/ld-linux-x86-64.so.2" "$file"
  fi
  rpath=$("${patchelf[@]}" --print-rpath "$file")
  "${patchelf[@]}" --set-rpath "${rpath:+$rpath:}$target/lib" "$file"
done
rm -rf "$target"
mkdir -p "$target"
mv "$work/out/lib" "$work/out/jdk" "$target/"
is_jdk21 "$target/jdk" || fail "the JDK 21 made in $target does not run: $("$target/jdk/bin/java" -version 2>&1 | head -n 2)"
echo "$target/jdk"
