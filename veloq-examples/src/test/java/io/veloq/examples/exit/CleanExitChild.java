package io.veloq.examples.exit;

import io.veloq.api.CleanExit;
import io.veloq.api.IoRuntime;
import io.veloq.api.net.TcpListener;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;

/**
 * Run in its own JVM by {@link CleanExitTest}, then stopped with a signal. {@code args[0]} is the driver,
 * {@code args[1]} the mode:
 * <ul>
 *   <li>{@code resources}: registers a runtime, a listener and a step with {@link CleanExit}, waits for the
 *       stop, returns from main;</li>
 *   <li>{@code code}: the main thread waits for the stop and exits with status 3 through {@code exit(3)};</li>
 *   <li>{@code failing}: one registered close throws; the others still run;</li>
 *   <li>{@code plain}: no {@code CleanExit}, for the JVM's own exit status.</li>
 * </ul>
 */
public final class CleanExitChild {
    private CleanExitChild() {
    }

    public static void main(String[] args) throws Exception {
        String driver = args[0];
        String mode = args[1];
        if (mode.equals("plain")) {
            System.out.println("READY");
            new CountDownLatch(1).await();
            return;
        }
        CleanExit exit = CleanExit.install();
        IoRuntime rt = exit.closing(IoRuntime.builder().driver(driver).open());
        TcpListener listener = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        exit.closing(() -> {
            System.out.println("closing runtime");
            rt.close();
        });
        exit.closing(() -> {
            System.out.println("closing listener on port " + listener.port());
            listener.close();
            System.out.println("listener open: " + listener.isOpen());
        });
        if (mode.equals("failing")) {
            exit.closing(() -> {
                throw new IllegalStateException("this close fails on purpose");
            });
        }
        System.out.println("READY");
        exit.awaitStop();
        System.out.println("main saw the stop");
        if (mode.equals("code")) {
            exit.exit(3);
        }
    }
}
