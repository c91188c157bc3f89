package org.minipylib.wsgiserver.testing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): parses every line and fails with
 * the line number on anything the format does not allow: bad names, labels or values, a TYPE after
 * samples or twice, a family split in two, duplicate series, a histogram whose buckets are not
 * cumulative or whose {@code +Inf} bucket is not its {@code _count}, a missing final newline.
 */
public final class PrometheusExposition {

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** A metric family: its TYPE, HELP and samples, in order. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern FLOAT = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?|[+-]?Inf|NaN");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    private final Map<String, Family> families = new LinkedHashMap<>();
    private final Set<String> closedFamilies = new HashSet<>();
    private final Set<String> series = new HashSet<>();
    private String currentFamily;
    private int lineNumber;

    private PrometheusExposition() {
    }

    /** Parses and validates {@code text}; throws {@link AssertionError} naming the first offending line. */
    public static Map<String, Family> parse(String text) {
        PrometheusExposition p = new PrometheusExposition();
        if (!text.isEmpty() && !text.endsWith("\n")) throw new AssertionError("the last line must end with a line feed");
        for (String line : text.split("\n", -1)) {
            p.lineNumber++;
            p.line(line);
        }
        p.families.values().forEach(p::checkFamily);
        return p.families;
    }

    /** The value of the one sample {@code name} with exactly {@code labels} (name, value, name, value...). */
    public static double value(Map<String, Family> families, String name, String... labels) {
        Map<String, String> wanted = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i += 2) wanted.put(labels[i], labels[i + 1]);
        for (Family f : families.values()) {
            for (Sample s : f.samples()) {
                if (s.name().equals(name) && s.labels().equals(wanted)) return s.value();
            }
        }
        throw new AssertionError("no sample " + name + wanted);
    }

    private void line(String line) {
        if (line.isEmpty()) return;
        if (line.startsWith("#")) {
            String[] parts = line.split(" ", 4);
            if (parts.length >= 3 && parts[0].equals("#") && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                meta(parts[1], parts[2], parts.length == 4 ? parts[3] : "");
            }
            return; // other comments are allowed
        }
        sample(line);
    }

    private void meta(String keyword, String name, String text) {
        check(METRIC_NAME.matcher(name).matches(), "bad metric name " + name);
        Family f = families.get(name);
        if (f == null) {
            f = new Family(name, null, null, new ArrayList<>());
            families.put(name, f);
            enter(name);
        } else {
            check(name.equals(currentFamily), "HELP/TYPE of " + name + " apart from its family");
        }
        if (keyword.equals("TYPE")) {
            check(f.type() == null, "a second TYPE for " + name);
            check(f.samples().isEmpty(), "TYPE for " + name + " after its samples");
            check(TYPES.contains(text), "unknown type " + text);
            families.put(name, new Family(name, text, f.help(), f.samples()));
        } else {
            check(f.help() == null, "a second HELP for " + name);
            check(text.replaceAll("\\\\[\\\\n]", "").indexOf('\\') < 0, "bad escape in HELP: " + text);
            families.put(name, new Family(name, f.type(), text, f.samples()));
        }
    }

    private void enter(String family) {
        if (family.equals(currentFamily)) return;
        check(!closedFamilies.contains(family), "family " + family + " appears in two places");
        if (currentFamily != null) closedFamilies.add(currentFamily);
        currentFamily = family;
    }

    private void sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') i++;
        String name = line.substring(0, i);
        check(METRIC_NAME.matcher(name).matches(), "bad metric name " + name);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i = labels(line, i + 1, labels);
        }
        check(i < line.length() && line.charAt(i) == ' ', "no space before the value");
        String[] rest = line.substring(i + 1).trim().split(" +");
        check(rest.length == 1 || rest.length == 2, "expected a value and an optional timestamp");
        check(FLOAT.matcher(rest[0]).matches(), "bad value " + rest[0]);
        if (rest.length == 2) check(rest[1].matches("-?\\d+"), "bad timestamp " + rest[1]);
        double value = rest[0].endsWith("Inf") ? (rest[0].startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
                : Double.parseDouble(rest[0]);
        check(series.add(name + labels), "duplicate series " + name + labels);
        String family = familyOf(name);
        enter(family);
        Family f = families.computeIfAbsent(family, n -> new Family(n, null, null, new ArrayList<>()));
        f.samples().add(new Sample(name, labels, value));
    }

    private int labels(String line, int i, Map<String, String> labels) {
        Pattern pair = Pattern.compile("\\G\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"\\s*(,|(?=\\}))");
        Matcher m = pair.matcher(line);
        while (i < line.length() && line.charAt(i) != '}') {
            check(m.find(i), "bad label at column " + i);
            check(LABEL_NAME.matcher(m.group(1)).matches() && !m.group(1).startsWith("__"), "bad label name " + m.group(1));
            check(labels.put(m.group(1), m.group(2).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\")) == null,
                    "label " + m.group(1) + " twice");
            i = m.end();
            while (i < line.length() && line.charAt(i) == ' ') i++;
        }
        check(i < line.length(), "unterminated labels");
        return i + 1;
    }

    /** The family a sample belongs to: a histogram's or summary's suffixed samples belong to the base name. */
    private String familyOf(String name) {
        for (String suffix : List.of("_bucket", "_sum", "_count")) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                Family f = families.get(base);
                if (f != null && ("histogram".equals(f.type()) || "summary".equals(f.type()))) return base;
            }
        }
        return name;
    }

    private void checkFamily(Family f) {
        if (!"histogram".equals(f.type())) {
            for (Sample s : f.samples()) {
                if (!s.name().equals(f.name())) throw new AssertionError(s.name() + " in family " + f.name());
            }
            return;
        }
        double previousBound = Double.NEGATIVE_INFINITY;
        double previousCount = 0;
        Double infCount = null;
        Double count = null;
        for (Sample s : f.samples()) {
            if (s.name().equals(f.name() + "_bucket")) {
                String le = s.labels().get("le");
                if (le == null || !FLOAT.matcher(le).matches()) throw new AssertionError("bucket without a valid le: " + s);
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                if (bound <= previousBound) throw new AssertionError("buckets not in ascending le order at " + s);
                if (s.value() < previousCount) throw new AssertionError("buckets not cumulative at " + s);
                previousBound = bound;
                previousCount = s.value();
                if (bound == Double.POSITIVE_INFINITY) infCount = s.value();
            } else if (s.name().equals(f.name() + "_count")) {
                count = s.value();
            } else if (!s.name().equals(f.name() + "_sum")) {
                throw new AssertionError(s.name() + " in histogram " + f.name());
            }
        }
        if (infCount == null) throw new AssertionError("histogram " + f.name() + " has no +Inf bucket");
        if (!infCount.equals(count)) throw new AssertionError("histogram " + f.name() + ": +Inf bucket " + infCount + " != _count " + count);
    }

    private void check(boolean ok, String message) {
        if (!ok) throw new AssertionError("line " + lineNumber + ": " + message);
    }
}
