package org.minipylib.wsgiserver.proxy;

import java.io.IOException;

/** A malformed PROXY protocol header, or none where one was required: the connection is closed. */
public final class ProxyProtocolException extends IOException {

    private static final long serialVersionUID = 1L;

    public ProxyProtocolException(String message) {
        super(message);
    }
}
