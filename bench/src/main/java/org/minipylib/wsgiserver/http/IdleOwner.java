package org.minipylib.wsgiserver.http;

/** The owner of a benchmark connection: never draining, nothing to do on close. */
final class IdleOwner implements HttpConnection.Owner {

    @Override
    public boolean isDraining() {
        return false;
    }

    @Override
    public void connectionClosed(HttpConnection connection) {
    }
}
