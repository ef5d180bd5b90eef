package io.veloq.api.net;

/**
 * Which direction {@code Shutdown} closes.
 *
 * @since 0.1
 */
public enum ShutdownHow {
    READ, WRITE, BOTH
}
