package org.minipylib.wsgiserver.http;

/**
 * Decodes the percent-encoding of a request path the way PEP 3333 wants PATH_INFO: each decoded
 * byte becomes one ISO-8859-1 character. {@code %2F} (an encoded slash) stays encoded, so that it
 * cannot be mistaken for a path separator.
 */
public final class PercentDecoder {

    private PercentDecoder() {
    }

    /**
     * Decodes {@code raw}, whose characters are bytes (ISO-8859-1).
     *
     * @throws BadRequestException on a {@code %} not followed by two hex digits
     */
    public static String decodePath(String raw) throws BadRequestException {
        int first = raw.indexOf('%');
        if (first < 0) return raw;
        StringBuilder sb = new StringBuilder(raw.length());
        sb.append(raw, 0, first);
        for (int i = first; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i + 2 >= raw.length()) throw malformed();
            int hi = Character.digit(raw.charAt(i + 1), 16);
            int lo = Character.digit(raw.charAt(i + 2), 16);
            if (hi < 0 || lo < 0 || raw.charAt(i + 1) > 'f' || raw.charAt(i + 2) > 'f') {
                throw malformed();
            }
            int b = (hi << 4) | lo;
            if (b == '/') {
                sb.append(raw, i, i + 3); // keep %2F as sent
            } else {
                sb.append((char) b);
            }
            i += 2;
        }
        return sb.toString();
    }

    private static BadRequestException malformed() {
        return BadRequestException.violation(ComplianceViolation.INVALID_PERCENT_ENCODING, "Malformed percent-encoding in path");
    }
}
