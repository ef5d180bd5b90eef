package io.veloq.testkit;

import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;
import io.veloq.spi.LinuxErrno;
import io.veloq.testkit.internal.FakeKernel;

import java.nio.charset.StandardCharsets;

/**
 * An op inside the fake driver, for inspection and manual completion (like Netty's
 * {@code EmbeddedChannel}: the test plays the kernel).
 *
 * <pre>{@code
 * sim.holdCompletions(true);
 * loop.submit(Op.of(new Recv(fd, buf), op -> got.set(op.result())));
 * sim.runCurrent();
 * InFlightOp recv = sim.inFlight(OpKind.RECV);
 * recv.completeWith("hello");                  // bytes land in buf, result 5
 * sim.runCurrent();                            // the completer runs
 * sim.inFlight(OpKind.ACCEPT).fail(LinuxErrno.EMFILE);
 * }</pre>
 *
 * @since 0.1
 */
public final class InFlightOp {
    private final Simulation sim;
    private final FakeKernel kernel;
    private final FakeKernel.KernelOpView view;

    InFlightOp(Simulation sim, FakeKernel kernel, FakeKernel.KernelOpView view) {
        this.sim = sim;
        this.kernel = kernel;
        this.view = view;
    }

    /** The fake kernel's number for this op (as in the trace: {@code op12}). */
    public long id() {
        return view.opId();
    }

    public OpPayload payload() {
        return view.payload();
    }

    public OpKind kind() {
        return view.payload().kind();
    }

    /** What it is doing: "waiting on TCP socket ...", "held by the test", "waiting for its timer". */
    public String state() {
        return view.state();
    }

    /** True while held by {@link Simulation#holdCompletions}. */
    public boolean isHeld() {
        return view.held();
    }

    /** Completes it with {@code result} (bytes, a descriptor, 0). The completer runs at the next turn. */
    public void complete(long result) {
        if (result < 0) {
            throw new IllegalArgumentException("use fail(LinuxErrno) for errors, got result " + result + " for " + this);
        }
        if (!kernel.completeByTest(view.opId(), result)) {
            throw sim.failure("cannot complete " + this + ": it is no longer waiting");
        }
    }

    /** Completes a Recv/RecvFrom/Read as if {@code bytes} had arrived (as many as fit in its buffer). */
    public void completeWith(byte[] bytes) {
        if (kernel.completeByTestWithData(view.opId(), bytes) < 0) {
            throw sim.failure("cannot complete " + this + ": it is no longer waiting");
        }
    }

    /** {@link #completeWith(byte[])} with UTF-8 text. */
    public void completeWith(String text) {
        completeWith(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Fails it with {@code errno}, exactly as the kernel would report it. */
    public void fail(LinuxErrno errno) {
        if (!kernel.completeByTest(view.opId(), -errno.code())) {
            throw sim.failure("cannot fail " + this + " with " + errno + ": it is no longer waiting");
        }
    }

    /** Lets a held op run in the simulated kernel as usual. */
    public void proceed() {
        if (!kernel.releaseHeld(view.opId())) {
            throw sim.failure("cannot let " + this + " proceed: it is not held");
        }
    }

    @Override
    public String toString() {
        return view.toString();
    }
}
