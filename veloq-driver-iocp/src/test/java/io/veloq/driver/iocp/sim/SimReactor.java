package io.veloq.driver.iocp.sim;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The simulated kernel's worker: one thread that waits on a {@link Selector} over the loopback channels
 * underneath the simulated sockets and finishes pending overlapped operations as they become possible, and
 * runs file operations. Operations that can finish at once never come here.
 */
final class SimReactor implements Runnable {
    private final SimWin32 os;
    private final Selector selector;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    SimReactor(SimWin32 os, String name) {
        this.os = os;
        try {
            this.selector = Selector.open();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the simulator's selector", e);
        }
        this.thread = new Thread(this, name);
        thread.setDaemon(true);
        thread.start();
    }

    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Re-examines a socket's pending operations and interest set on the reactor thread. */
    void watch(SimSocket s) {
        execute(() -> s.pump(selector));
    }

    @Override
    public void run() {
        while (running) {
            try {
                selector.select(1000);
                for (SelectionKey k : selector.selectedKeys()) {
                    ((SimSocket) k.attachment()).pump(selector);
                }
                selector.selectedKeys().clear();
                Runnable r;
                while ((r = tasks.poll()) != null) {
                    r.run();
                }
            } catch (Throwable t) {
                os.failure("simulator reactor", t);
            }
        }
    }

    void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(2000);
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            os.failure("closing the simulator's selector", e);
        }
    }
}
