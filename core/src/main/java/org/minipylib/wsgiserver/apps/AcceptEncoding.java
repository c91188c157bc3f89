package org.minipylib.wsgiserver.apps;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An {@code Accept-Encoding} request header field (RFC 9110 section 12.5.3): which of the content
 * codings a server has ready the client takes, by the weights ({@code q}) it gives them.
 */
final class AcceptEncoding {

    /** A weight not stated: the coding is neither named nor covered by {@code *}. */
    private static final int UNSTATED = -1;
    private static final Pattern QVALUE = Pattern.compile("[01](\\.[0-9]{0,3})?");
    private static final List<String> GZIP_ONLY = List.of("gzip");

    private AcceptEncoding() {
    }

    /**
     * The coding of {@code codings} (the server's order of preference, such as {@code br} before
     * {@code gzip}) to send, or null for none (identity): the one with the highest weight above 0,
     * the first of {@code codings} among equals; none when the field is absent, or names {@code
     * identity} (or {@code *}) with a higher weight than that coding's. {@code x-gzip} is {@code gzip}
     * (section 8.4.1.3). A weight that is not a qvalue (section 12.4.2) counts as 0.
     */
    static String preferred(String field, List<String> codings) {
        if (field == null) return null;
        String best = null;
        int bestWeight = 0;
        for (String coding : codings) {
            int weight = weight(field, coding);
            if (weight > bestWeight) {
                best = coding;
                bestWeight = weight;
            }
        }
        if (best == null) return null;
        return weight(field, "identity") > bestWeight ? null : best;
    }

    /**
     * True if gzip is the coding to send for {@code field}, as {@link #preferred} picks it: {@code
     * gzip} (or {@code x-gzip}) with a weight above 0, or, when it names neither, {@code *} with a
     * weight above 0, and {@code identity} not weighted higher. {@code gzip;q=0} refuses it whatever
     * {@code *} says; no field, or an empty one (identity only), accepts nothing.
     */
    static boolean acceptsGzip(String field) {
        return preferred(field, GZIP_ONLY) != null;
    }

    /**
     * The weight (0 to 1000) {@code field} gives {@code coding}: its own member's (the highest if it
     * is named twice), else that of {@code *}, else {@link #UNSTATED}.
     */
    static int weight(String field, String coding) {
        int named = UNSTATED;
        int any = UNSTATED;
        for (String member : field.split(",")) {
            int semicolon = member.indexOf(';');
            String name = (semicolon < 0 ? member : member.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) continue;
            int weight = semicolon < 0 ? 1000 : qvalue(member.substring(semicolon + 1));
            if (name.equals(coding) || (coding.equals("gzip") && name.equals("x-gzip"))) {
                named = Math.max(named, weight);
            } else if (name.equals("*")) {
                any = Math.max(any, weight);
            }
        }
        return named != UNSTATED ? named : any;
    }

    /**
     * The weight in a member's parameters ({@code q=0.5}, 500), 1000 without one, 0 if it is not a
     * qvalue: {@code 0} or {@code 1} with up to three decimals, at most {@code 1.000}.
     */
    private static int qvalue(String parameters) {
        for (String parameter : parameters.split(";")) {
            String p = parameter.trim();
            int equals = p.indexOf('=');
            String name = (equals < 0 ? p : p.substring(0, equals)).trim();
            if (!name.equalsIgnoreCase("q")) continue;
            if (equals != 1) return 0; // "q", "q =0": a weight, malformed (when in doubt, the coding is not sent)
            String value = p.substring(2).trim();
            if (!QVALUE.matcher(value).matches()) return 0;
            int thousandths = value.length() > 2 ? Integer.parseInt((value.substring(2) + "000").substring(0, 3)) : 0;
            int weight = (value.charAt(0) - '0') * 1000 + thousandths;
            return weight > 1000 ? 0 : weight;
        }
        return 1000;
    }
}
