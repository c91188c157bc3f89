package org.minipylib.wsgiserver.testing;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * For tests that waits leave the virtual-thread carriers free: before JDK 24 a virtual thread that
 * waits inside {@code synchronized} (or to enter it) pins its carrier, and the carriers are as many
 * as the processors, so a few such waits and the server answers nothing else.
 */
public final class CarrierPinning {

    /** The virtual-thread scheduler's carriers: one per processor. */
    public static final int CARRIERS = Runtime.getRuntime().availableProcessors();

    private CarrierPinning() {
    }

    /**
     * Asks {@code client} for {@code GET path} and expects {@code body} within {@code millis}; with no
     * answer by then, fails saying that {@code waiting} (e.g. "2 stops wait on virtual threads") pin
     * the carriers. Closes the client.
     */
    public static void assertAnsweredWhile(RawClient client, String path, String body, int millis,
                                           Supplier<String> waiting) throws IOException {
        try (client) {
            client.timeout(millis).send("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals(body, client.read().bodyText());
        } catch (SocketTimeoutException e) {
            fail("no answer within " + millis + " ms while " + waiting.get() + " (" + CARRIERS
                    + " carriers): the waits pin them");
        }
    }
}
