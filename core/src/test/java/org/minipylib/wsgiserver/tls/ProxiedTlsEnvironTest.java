package org.minipylib.wsgiserver.tls;

import org.minipylib.wsgiserver.http.ProxiedTls;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The environ of a connection whose TLS a proxy ended: mod_ssl's names, only what the proxy said. */
class ProxiedTlsEnvironTest {

    private static Map<String, Object> environ(ProxiedTls tls) {
        Map<String, Object> env = new HashMap<>();
        SslEnviron.addTo(env, tls);
        return env;
    }

    @Test
    void everythingHaproxySendsWithSendProxyV2SslCn() {
        assertEquals(Map.of("HTTPS", "on", "SSL_PROTOCOL", "TLSv1.3", "SSL_CIPHER", "TLS_AES_256_GCM_SHA384",
                "SSL_TLS_SNI", "app.example", "SSL_SERVER_A_SIG", "sha256WithRSAEncryption", "SSL_SERVER_A_KEY", "RSA2048",
                "SSL_CLIENT_VERIFY", "SUCCESS", "SSL_CLIENT_S_DN_CN", "client.example"),
                environ(new ProxiedTls("TLSv1.3", "TLS_AES_256_GCM_SHA384", "sha256WithRSAEncryption", "RSA2048",
                        "app.example", true, true, "client.example")));
    }

    @Test
    void onlyWhatWasSent() {
        assertEquals(Map.of("HTTPS", "on", "SSL_CLIENT_VERIFY", "NONE"),
                environ(new ProxiedTls(null, null, null, null, null, false, false, null)));
        assertEquals("FAILED", environ(new ProxiedTls("TLSv1.2", null, null, null, null, true, false, null))
                .get("SSL_CLIENT_VERIFY"));
    }

    @Test
    void nothingWithoutProxiedTls() {
        assertTrue(environ((ProxiedTls) null).isEmpty());
    }
}
