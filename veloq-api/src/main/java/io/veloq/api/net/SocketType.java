package io.veloq.api.net;

/**
 * Socket types.
 *
 * @since 0.1
 */
public enum SocketType {
    STREAM, DATAGRAM
}
