package org.minipylib.wsgiserver.http;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which {@link ComplianceViolation}s the request parser accepts: none by {@linkplain #strict()
 * default}. Immutable; {@link #relaxing} returns a copy that accepts more.
 *
 * <pre>{@code
 * HttpLimits limits = HttpLimits.defaults().withCompliance(
 *         HttpCompliance.strict().relaxing(ComplianceViolation.BARE_LF_LINE_ENDINGS));
 * }</pre>
 *
 * @param relaxed the violations accepted (all {@linkplain ComplianceViolation#relaxable() relaxable})
 */
public record HttpCompliance(Set<ComplianceViolation> relaxed) {

    private static final HttpCompliance STRICT = new HttpCompliance(Set.of());

    /**
     * @throws IllegalArgumentException if a violation in {@code relaxed} is not relaxable
     */
    public HttpCompliance {
        EnumSet<ComplianceViolation> copy = EnumSet.noneOf(ComplianceViolation.class);
        for (ComplianceViolation v : relaxed) {
            if (!v.relaxable()) {
                throw new IllegalArgumentException(v + " (" + v.rfcSection() + ") cannot be relaxed: it enables request smuggling");
            }
            copy.add(v);
        }
        relaxed = Collections.unmodifiableSet(copy);
    }

    /** Refuses every violation: RFC 9112 to the letter. */
    public static HttpCompliance strict() {
        return STRICT;
    }

    /** A copy that also accepts {@code violations}. */
    public HttpCompliance relaxing(ComplianceViolation... violations) {
        EnumSet<ComplianceViolation> all = EnumSet.noneOf(ComplianceViolation.class);
        all.addAll(relaxed);
        all.addAll(Arrays.asList(violations));
        return new HttpCompliance(all);
    }

    /**
     * Parses a comma-separated list of violation names (any case, {@code -} for {@code _}), as the
     * command line takes them: {@code bare-lf-line-endings,obs-fold}.
     *
     * @throws IllegalArgumentException for an unknown or unrelaxable name
     */
    public static HttpCompliance parse(String names) {
        HttpCompliance compliance = STRICT;
        for (String name : names.split(",")) {
            String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (n.isEmpty()) continue;
            ComplianceViolation v;
            try {
                v = ComplianceViolation.valueOf(n);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown compliance violation: " + name.trim());
            }
            compliance = compliance.relaxing(v);
        }
        return compliance;
    }

    /** True if {@code violation} is accepted. */
    public boolean allows(ComplianceViolation violation) {
        return relaxed.contains(violation);
    }
}
