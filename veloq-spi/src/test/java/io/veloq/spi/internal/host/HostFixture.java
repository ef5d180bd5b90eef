package io.veloq.spi.internal.host;

import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.Recv;
import org.junit.jupiter.api.AfterEach;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Opens a runtime host on a {@link ScriptedDriver} and cleans up after each test. */
abstract class HostFixture {
    static final IoFd FD = IoFd.raw(9);

    final BufPool pool = BufPool.allocate(64, 32);
    final List<Op<?>> completed = new CopyOnWriteArrayList<>();
    final List<Thread> completerThreads = new CopyOnWriteArrayList<>();
    ScriptedDriver.Provider provider;
    RuntimeHost rt;

    RuntimeHost open(Consumer<IoRuntime.Builder> config) {
        return open(config, d -> { });
    }

    RuntimeHost open(Consumer<IoRuntime.Builder> config, Consumer<ScriptedDriver> setup) {
        IoRuntime.Builder b = IoRuntime.builder().driver("scripted").buffers(64, 4);
        config.accept(b);
        provider = new ScriptedDriver.Provider(setup);
        rt = RuntimeHost.open(b.config(), provider);
        return rt;
    }

    ScriptedDriver driver() {
        return provider.driver();
    }

    /** A completer that records the op and the thread it ran on. */
    <P extends OpPayload> Op<P> op(P payload) {
        return Op.of(payload, o -> {
            completerThreads.add(Thread.currentThread());
            completed.add(o);
        });
    }

    Op<Recv> recv() {
        return op(new Recv(FD, pool.lease()));
    }

    void awaitCompleted(Op<?> op) {
        ScriptedDriver.eventually(() -> op.state() == OpState.COMPLETED, () -> op + " did not complete; it is " + op.state());
    }

    @AfterEach
    void closeAndCheckBuffers() {
        if (rt != null) {
            rt.close(); // idempotent; a manual runtime is closed here by the thread that opened it
        }
        for (Op<?> o : completed) {
            FixedBuf b = o.payload().buffer();
            if (b != null && b.isLeased() && b.owner() == null) {
                b.release();
            }
        }
        assertEquals(0, pool.outstanding(), "buffers still leased: an op kept its buffer");
        pool.close();
    }
}
