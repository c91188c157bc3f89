package org.minipylib.wsgiserver;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ListenOptions#deferAccept()}: one second by default, whole seconds rounded up, between 0 and an hour, kept by every wither. */
class ListenOptionsTest {

    @Test
    void deferAcceptIsOneSecondByDefault() {
        assertEquals(Duration.ofSeconds(1), ListenOptions.defaults().deferAccept());
        assertEquals(1, ListenOptions.defaults().deferAcceptSeconds());
        assertEquals(ListenOptions.defaults(), new ListenOptions(false, false, null, false));
        assertEquals(ListenOptions.DEFAULT_DEFER_ACCEPT, new ListenOptions(false, false, null, false, Set.of()).deferAccept());
    }

    @Test
    void deferAcceptIsWholeSecondsRoundedUp() {
        ListenOptions options = ListenOptions.defaults();
        assertEquals(options.withDeferAccept(Duration.ofSeconds(2)), options.withDeferAccept(Duration.ofMillis(1500)),
                "equal when the kernel gets the same value");
        assertEquals(2, options.withDeferAccept(Duration.ofMillis(1500)).deferAcceptSeconds());
        assertEquals(1, options.withDeferAccept(Duration.ofMillis(1)).deferAcceptSeconds());
        assertEquals(0, options.withDeferAccept(Duration.ZERO).deferAcceptSeconds());
        assertEquals(3600, options.withDeferAccept(ListenOptions.MAX_DEFER_ACCEPT).deferAcceptSeconds());
    }

    @Test
    void deferAcceptOutsideZeroToAnHourIsRefused() {
        ListenOptions options = ListenOptions.defaults();
        assertThrows(IllegalArgumentException.class, () -> options.withDeferAccept(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> options.withDeferAccept(Duration.ofMillis(-500)));
        assertThrows(IllegalArgumentException.class, () -> options.withDeferAccept(Duration.ofMillis(3_600_001)));
        assertThrows(NullPointerException.class, () -> options.withDeferAccept(null));
    }

    @Test
    void theOtherWithersKeepDeferAccept() {
        Duration seven = Duration.ofSeconds(7);
        ListenOptions options = ListenOptions.defaults().withDeferAccept(seven);
        assertEquals(seven, options.withReusePort(true).deferAccept());
        assertEquals(seven, options.withProxyProtocol(true).deferAccept());
        assertEquals(seven, options.withProxyProtocol(List.of()).deferAccept());
        assertEquals(seven, options.withPeerCredentials(true).deferAccept());
        assertEquals(seven, options.withUnixSocketPermissions(ListenOptions.permissions("660")).deferAccept());
    }
}
