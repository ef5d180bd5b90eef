/**
 * A {@link java.nio.channels.spi.AsynchronousChannelProvider} backed by Veloq: NIO.2's
 * {@code AsynchronousSocketChannel}, {@code AsynchronousServerSocketChannel} and channel groups on Veloq's
 * event loops (io_uring, IOCP, the fake).
 *
 * <p>On the module path this module is found by service binding ({@code java.base} {@code uses} the
 * service), so having its jar there is enough. On the class path, name the provider with
 * {@code -Djava.nio.channels.spi.AsynchronousChannelProvider=io.veloq.nio2.VeloqChannelProvider}. The one
 * exported package holds only the provider class, because the JDK instantiates a provider named by that
 * property reflectively, which needs its package exported.
 */
module veloq.nio2 {
    requires veloq.api;

    exports io.veloq.nio2;

    provides java.nio.channels.spi.AsynchronousChannelProvider with io.veloq.nio2.VeloqChannelProvider;
}
