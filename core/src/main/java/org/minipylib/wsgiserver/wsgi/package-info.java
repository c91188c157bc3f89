/**
 * The gateway between the HTTP layer and a {@code WsgiApp} (not exported): {@code WsgiGateway}
 * builds the environ and runs the application, {@code WsgiResponse} is its {@code start_response}
 * and writes the body it returns, {@code ErrorLogStream} is {@code wsgi.errors}.
 */
package org.minipylib.wsgiserver.wsgi;
