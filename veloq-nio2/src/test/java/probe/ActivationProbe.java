package probe;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * What {@code io.veloq.nio2.ActivationTest} starts in a separate JVM (in a package of its own: on the
 * module path, {@code io.veloq.nio2} belongs to the module, and a class path class there would not be found): it prints which provider the JDK chose and the
 * class of a channel opened the standard way, then makes one loopback round trip through them.
 */
public final class ActivationProbe {
    private ActivationProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("provider: " + AsynchronousChannelProvider.provider().getClass().getName());
        try (AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open()
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             AsynchronousSocketChannel client = AsynchronousSocketChannel.open()) {
            System.out.println("channel: " + client.getClass().getName());
            Future<AsynchronousSocketChannel> accepted = server.accept();
            client.connect(server.getLocalAddress()).get(10, TimeUnit.SECONDS);
            try (AsynchronousSocketChannel peer = accepted.get(10, TimeUnit.SECONDS)) {
                client.write(ByteBuffer.wrap("hi".getBytes())).get(10, TimeUnit.SECONDS);
                ByteBuffer in = ByteBuffer.allocate(2);
                while (in.hasRemaining()) {
                    peer.read(in).get(10, TimeUnit.SECONDS);
                }
                System.out.println("round trip: " + new String(in.array()));
            }
        }
    }
}
