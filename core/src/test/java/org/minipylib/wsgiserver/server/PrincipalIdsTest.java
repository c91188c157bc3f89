package org.minipylib.wsgiserver.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Numeric ids from the JDK's UNIX principals: those of a file's owner and group match the ids the
 * file system reports, a numeric name is its own id, and a principal of another kind is unknown.
 */
class PrincipalIdsTest {

    @TempDir
    Path dir;

    @Test
    void theJdksPrincipalsGiveTheirNumericIds() throws Exception {
        Path file = Files.createFile(dir.resolve("owned"));
        PosixFileAttributes attributes = Files.readAttributes(file, PosixFileAttributes.class);
        assertEquals(((Integer) Files.getAttribute(file, "unix:uid")).longValue(), PrincipalIds.uid(attributes.owner()));
        assertEquals(((Integer) Files.getAttribute(file, "unix:gid")).longValue(), PrincipalIds.gid(attributes.group()));
    }

    @Test
    void aNumericNameIsTheIdAndAnUnknownKindOfPrincipalHasNone() {
        assertEquals(12345, PrincipalIds.uid(user("12345")));
        assertEquals(4_000_000_000L, PrincipalIds.gid(group("4000000000")));
        assertEquals(PrincipalIds.UNKNOWN, PrincipalIds.uid(user("4294967295")), "(uid_t) -1 is no user");
        assertEquals(PrincipalIds.UNKNOWN, PrincipalIds.uid(user("alice")));
        assertEquals(PrincipalIds.UNKNOWN, PrincipalIds.gid(group("staff")));
    }

    private static UserPrincipal user(String name) {
        return new UserPrincipal() {
            @Override public String getName() { return name; }
            @Override public int hashCode() { return 7; }
        };
    }

    private static GroupPrincipal group(String name) {
        return new GroupPrincipal() {
            @Override public String getName() { return name; }
            @Override public int hashCode() { return 7; }
        };
    }
}
