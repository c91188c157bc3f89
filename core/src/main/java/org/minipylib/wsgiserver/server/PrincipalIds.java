package org.minipylib.wsgiserver.server;

import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;

/**
 * The numeric user and group ids behind the JDK's UNIX principals, which expose only names. On
 * Linux and macOS the JDK's principals ({@code sun.nio.fs.UnixUserPrincipals.User} and
 * {@code .Group}, which {@code SO_PEERCRED} returns) hash to their numeric id; that is relied on
 * for exactly those classes, whatever their names (a user may be named {@code 0}). For any other
 * class, a name that is all digits is taken as the id. Anything else is unknown ({@link #UNKNOWN}):
 * no lookup, no process.
 */
final class PrincipalIds {

    /** An id that could not be read. */
    static final long UNKNOWN = -1;

    private static final String USER_CLASS = "sun.nio.fs.UnixUserPrincipals$User";
    private static final String GROUP_CLASS = "sun.nio.fs.UnixUserPrincipals$Group";

    private PrincipalIds() {
    }

    /** The numeric id of a user, 0 to 2^32-2, or {@link #UNKNOWN}. */
    static long uid(UserPrincipal user) {
        // Group extends User in the JDK: compare the exact class.
        return id(user, USER_CLASS);
    }

    /** The numeric id of a group, 0 to 2^32-2, or {@link #UNKNOWN}. */
    static long gid(GroupPrincipal group) {
        return id(group, GROUP_CLASS);
    }

    private static long id(UserPrincipal principal, String jdkClass) {
        // The JDK's own principal first: its hash is the id, whatever its name. A user may be named
        // "0" or "4242" (a staff number): its name is not its id.
        if (principal.getClass().getName().equals(jdkClass)) return valid(Integer.toUnsignedLong(principal.hashCode()));
        String name = principal.getName();
        if (!isDigits(name)) return UNKNOWN;
        try {
            return valid(Long.parseLong(name)); // another implementation's id without a name
        } catch (NumberFormatException e) {
            return UNKNOWN;
        }
    }

    /** uid_t and gid_t are unsigned 32 bits; (uid_t) -1 means none. */
    private static long valid(long id) {
        return id >= 0 && id < 0xFFFF_FFFFL ? id : UNKNOWN;
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }
}
