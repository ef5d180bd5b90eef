package io.veloq.api.net;

/**
 * Socket address families Veloq supports. The native values differ per platform; see
 * {@link AddressLayout}.
 *
 * @since 0.1
 */
public enum AddressFamily {
    INET, INET6, UNIX
}
