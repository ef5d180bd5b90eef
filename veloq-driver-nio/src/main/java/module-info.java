/**
 * The pure-Java driver ({@code nio}): Veloq's proactor contract over java.nio, a {@code Selector} per
 * loop and a few threads for file ops. No native code. It runs wherever the JDK does, and the runtime picks
 * it when no kernel driver (io_uring, IOCP) can run: on macOS, or in a container whose seccomp profile
 * blocks io_uring. A provider only: it exports nothing.
 */
module veloq.driver.nio {
    requires veloq.spi;
    // TCP keep-alive and quick-ack options (jdk.net.ExtendedSocketOptions).
    requires jdk.net;

    provides io.veloq.spi.DriverProvider with io.veloq.driver.nio.NioProvider;
}
