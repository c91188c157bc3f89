# Sourced by bin/serve and bin/test: makes JAVA_HOME point at a JDK 21 or newer, or stops with a
# message that says how to provide one.

java_major() { # prints the major version of the java binary $1 (17, 21, 25...)
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}

jdk_ok() { # $1 = a JDK home; true if it has javac and java >= 21
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  local v; v=$(java_major "$1/bin/java")
  [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null
}

select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then return 0; fi
  local candidate
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    if jdk_ok "$candidate"; then export JAVA_HOME="$candidate"; return 0; fi
  fi
  # The newest by the version each reports (directory names say it in many ways: temurin-25-jdk,
  # java-21-openjdk, zulu21-ca...); symlinks to the same JDK count once.
  local best="" best_major=0 major
  for candidate in $(ls -d /usr/lib/jvm/*/ /opt/java/*/ /opt/jdk*/ 2>/dev/null | sed 's:/$::' | sort -u); do
    jdk_ok "$candidate" || continue
    major=$(java_major "$candidate/bin/java"); major=${major%%.*}
    if [ "$major" -gt "$best_major" ] 2>/dev/null; then best=$candidate; best_major=$major; fi
  done
  if [ -n "$best" ]; then export JAVA_HOME="$best"; return 0; fi
  cat >&2 <<MSG
wsgiserver needs a JDK 21 or newer, and none was found
(JAVA_HOME=${JAVA_HOME:-unset}; default java: $(java -version 2>&1 | head -n 1)).
Install one (for example: apt-get install openjdk-21-jdk-headless) or point JAVA_HOME at it:
    export JAVA_HOME=/path/to/jdk-21-or-newer
MSG
  exit 1
}

[ -n "${JDK_FUNCTIONS_ONLY:-}" ] && return 0 # scripts/jdk21.sh wants java_major and jdk_ok only
select_jdk
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8's bundled Guava trips a deprecation warning on JDK 24+; silence it.
if [ "$(java_major "$JAVA_HOME/bin/java")" -ge 24 ] 2>/dev/null; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
