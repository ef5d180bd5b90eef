package io.veloq.spi;

import io.veloq.api.Capability;
import io.veloq.api.IoFd;
import io.veloq.api.OpLifecycle;
import io.veloq.api.VeloqIoException;
import io.veloq.api.net.AddressLayout;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.OpKind;
import io.veloq.api.op.OpPayload;

import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * One driver instance: one io_uring, one completion port, one simulated network. The host owns it and
 * runs it on one loop thread.
 *
 * <h2>Threading</h2>
 * Every method is called on the loop thread only, except {@link #wakeup()} and the socket-control
 * methods ({@link #bind}, {@link #listen}, {@link #localAddress}, {@link #remoteAddress},
 * {@link #setOption}, {@link #getOption}), which any thread may call and must be thread-safe.
 * The {@link CompletionSink} is called from inside {@link #submitAndWait}; it may call {@link #prepare} and
 * {@link #prepareCancel} re-entrantly (a completer that resubmits), which the driver must allow.
 *
 * <h2>Ownership</h2>
 * From {@link #prepare} until the op's final completion has been delivered to the sink, the payload's
 * buffer and address storage belong to the driver: it may hand their memory to the kernel, and must keep
 * them strongly reachable until the kernel is done with them (for a zero-copy send: until its
 * notification). After delivering the final completion it must not touch them again.
 *
 * <h2>Completions: many, then exactly one final</h2>
 * Every prepared op gets zero or more intermediate completions ({@link CompletionSink#MORE}), then exactly
 * one final completion (without {@code MORE}): success, error, or cancellation. Nothing follows the final
 * one, and its user data may be reused after it.
 * <ul>
 *   <li>One-shot kinds get only the final completion, through either sink method.</li>
 *   <li>Multishot kinds ({@link OpKind#multishot()}): each intermediate completion is one item (an accepted
 *       handle; a received byte count with {@link CompletionSink#BUFFER} and the id of the buffer taken from
 *       the op's ring). The final completion carries no item: a platform that ends a stream with a last
 *       item (io_uring on CQ overflow) delivers that item as an intermediate completion, then a final one
 *       with the platform's overflow code ({@code -EOVERFLOW}). A ring that runs dry ends the op with the
 *       platform's "no buffers" code ({@code -ENOBUFS}); end of stream ends a receive with 0.</li>
 *   <li>A zero-copy send ({@code Send.zeroCopy()}, with {@link Capability#ZERO_COPY_SEND}): its result as
 *       an intermediate completion, then the notification ({@link CompletionSink#NOTIF}) as the final one,
 *       once the kernel no longer reads the buffer. A driver without the capability runs it as a copying
 *       send with one completion.</li>
 *   <li>{@link #prepareCancel} of an op ends it: whatever it was doing, it gets exactly one final
 *       completion (the cancelled code, or its real result if that won the race), for a multishot op too.</li>
 *   <li>An op counts once against {@link DriverConfig#maxInFlight()} for its whole life, from
 *       {@link #prepare} to its final completion, however many completions it has.</li>
 * </ul>
 *
 * <h2>Vectored ops</h2>
 * Every driver supports {@link OpKind#RECV_MSG} and {@link OpKind#SEND_MSG} (no capability gates them):
 * one kernel operation over all the buffers of the payload's {@link io.veloq.api.buffer.BufVec}, in order,
 * never a loop of single receives or sends (a receive split over two calls could return the first part
 * and lose nothing, but a gathering send split in two lets another send interleave). Each buffer
 * contributes its free space (receive: {@link IoBuffers#fillOffset}, {@link IoBuffers#fillLength}) or its
 * readable bytes (send: {@link IoBuffers#drainOffset}, {@link IoBuffers#drainLength}); entries of length 0
 * may be passed or skipped. The completion's result is the total byte count; the api spreads it over the
 * buffers. {@link IoBuffers#vectorTable} is native memory owned by the vector, 16 bytes per entry, that the
 * driver may fill with its platform's {@code iovec}/{@code WSABUF} layout: it stays valid and reachable
 * until the op completes. A send applies {@code MSG_NOSIGNAL} where it exists. A deadline works as for any
 * op: a vectored receive that times out has received nothing.
 *
 * <h2>SendFile</h2>
 * A driver that reports {@link Capability#SEND_FILE} sends {@link io.veloq.api.op.SendFile}'s file range to
 * its socket without copying it through user space, at most one chunk per op, and completes with the bytes
 * that reached the socket (0 at end of file). The payload's {@code fd()} is the socket, so closing the socket
 * ends the op as for a send; the file is only read, never closed or repositioned. A cancelled or timed-out
 * op that already moved bytes completes with that count, never with an error that would hide them. Without
 * the capability the host refuses the op before it reaches the driver. {@code SendFileTck} checks all this.
 *
 * <h2>User data</h2>
 * The host passes a non-negative {@code userData} with each op and gets it back in the completion. The
 * driver may use negative values for its own internal operations (wake-up reads, cancels, linked timeouts)
 * and never delivers those to the sink.
 *
 * <h2>Errors</h2>
 * Failures of an op are completions with a negative result, minus the platform code of {@link #errors()}.
 * An op the driver cannot express (an unsupported kind, a {@code ReadFixed} on an unregistered buffer) is
 * refused by {@link #prepare} returning the negative code, so the host completes it at once. Exceptions
 * are for driver bugs and dead rings only.
 *
 * <h2>Handles</h2>
 * <ul>
 *   <li>A handle ({@link IoFd.Raw#handle()}) is an opaque long: a descriptor on Linux, a {@code SOCKET} or
 *       {@code HANDLE} on Windows, a small number in the fake. The host never interprets it; it passes back what
 *       a {@code Socket}, {@code Accept} or {@code Open} completed with.</li>
 *   <li>A handle is valid on every driver instance of the runtime (every loop), as a descriptor is on every
 *       thread of a process: any loop may submit ops on it and call the socket-control methods, and ops from
 *       several loops may be pending on it at once. A driver whose platform ties a handle to one instance (an
 *       I/O completion port) must route around that itself.</li>
 *   <li>Closing a handle ({@code Close}) completes every op still pending on it, on any instance, with the
 *       cancelled code ({@link ErrorTable#cancelledCode()}: {@code ECANCELED}, {@code ERROR_OPERATION_ABORTED};
 *       kind {@code CANCELLED}), unless its own result won the race; none stays in flight. (io_uring needs a
 *       cancel by descriptor before the close for this: a pending request holds its own reference to the file.)</li>
 *   <li>{@link #close()} frees the driver's own resources, never the application's handles: a socket or file
 *       the application did not close stays open (other loops may be using it); the application closes it with
 *       {@code Close} on any runtime. A driver keeping per-handle state forgets its own part of it.</li>
 * </ul>
 *
 * <h2>Capabilities</h2>
 * {@link #capabilities()} must be true: each reported capability is checked by the TCK rule of that capability,
 * and the host refuses, before {@link #prepare}, every op that needs a capability the driver does not report
 * (see {@link Capability}), so a driver never receives one.
 *
 * <h2>Socket options</h2>
 * {@link #getOption} returns the value as the platform reports it, which may differ from what was set: Linux
 * doubles {@code SO_RCVBUF}/{@code SO_SNDBUF} (within its floor and {@code rmem_max}/{@code wmem_max}), and TCP's
 * {@code IP_TOS} keeps its ECN bits. A driver without a kernel (the testkit's fake, a simulator) reports what
 * the platform it models would report (the fake models Linux, doubling included) and says so in its
 * documentation. A buffer size reads back at least what was set; a flag or a time reads back exactly.
 *
 * <h2>Drivers without a POSIX kernel interface</h2>
 * Some shapes of this contract come from POSIX; a driver over another API ({@code java.nio}, a user-space
 * stack) keeps them as follows (the {@code nio} driver does all four):
 * <ul>
 *   <li><b>Handles</b> are numbers the driver issues ({@code Socket}, {@code Accept}, {@code Open}), in one
 *       table that all its instances of a runtime share, as a process shares its fds. Such a driver should not
 *       issue a closed handle's number again soon (a stale handle must not reach another socket). Its table
 *       is not a process resource: when the last driver instance using it closes, nothing could reach or
 *       {@code Close} the handles the application left open, so it closes them then (until then
 *       {@link #close()} leaves them open, as above).</li>
 *   <li><b>Bind, then listen.</b> Where the platform binds and listens in one call (java.nio's
 *       {@code ServerSocketChannel.bind(address, backlog)}), {@link #bind} of a stream socket records the
 *       address and {@link #listen} (or a {@code Connect}) performs the real bind, so no other process can
 *       take the port between the two calls. A bind failure ({@code EADDRINUSE}) then surfaces from
 *       {@code listen}/{@code Connect}, and {@link #localAddress} reports the address as requested until
 *       then. Datagram sockets bind at {@code bind}.</li>
 *   <li><b>Error codes.</b> Codes are whatever {@link #errors()} names. A driver without native codes
 *       reports Linux errno values ({@link LinuxErrno#TABLE}), mapping the JDK's exceptions by type (never by
 *       message) with {@link JavaErrors}, so its errors have the same kinds, names and {@code java.net} forms
 *       as io_uring's.</li>
 *   <li><b>Recv/Send flags</b> are Linux's {@code MSG_*} values. A driver that cannot honour them does not
 *       report {@link Capability#MESSAGE_FLAGS}, and the host refuses ops carrying any before {@link #prepare}
 *       ({@code MSG_NOSIGNAL} passes: it is implied everywhere). Whatever else {@link #prepare} refuses, it
 *       explains through {@link #explainRefusal}.</li>
 * </ul>
 *
 * <h2>Close</h2>
 * The host calls {@link #close()} after every prepared op has completed (it cancels them and drains
 * first). Close then frees every native resource: rings, mappings, registered tables, the wake-up
 * descriptor, native structures. Nothing may be left behind.
 *
 * @since 0.1
 */
public interface Driver extends AutoCloseable {

    /** This driver's id, as its provider's. */
    String id();

    /** What this instance supports (after setup: the flags the kernel accepted). */
    Set<Capability> capabilities();

    /** The address layout of this platform. */
    AddressLayout addressLayout();

    /** The platform's error codes. */
    ErrorTable errors();

    /** This platform's lifecycle for an op kind; {@link OpLifecycle#direct()} where there is nothing to do. */
    default OpLifecycle<? extends OpPayload> lifecycle(OpKind kind) {
        return OpLifecycle.direct();
    }

    /** The driver's clock in nanoseconds, used for the host's timers (virtual time for the fake). */
    default long nanoTime() {
        return System.nanoTime();
    }

    /**
     * Queues one op for submission at the next {@link #submitAndWait}. Must not block and makes no syscall
     * when avoidable.
     *
     * @param userData     returned in the completion; non-negative
     * @param payload      the op; its resources are the driver's until completion
     * @param preAllocated what the kind's {@link OpLifecycle#preAlloc} returned, or {@link OpLifecycle#NONE}
     * @param deadlineNanos a relative deadline to enforce (only when the driver reports
     *                     {@link Capability#LINKED_TIMEOUTS}; else always 0)
     * @return 1 if queued; 0 if the submission queue is full (the host keeps the op and tries again after
     *     the next {@link #submitAndWait}); a negative platform code to refuse the op
     */
    int prepare(long userData, OpPayload payload, long preAllocated, long deadlineNanos);

    /**
     * Why {@link #prepare} refused {@code payload} with {@code code}, in words for the error message (e.g.
     * "Recv flags 0x2 (MSG_PEEK) are not supported by the nio driver; it honours MSG_NOSIGNAL only"), or
     * null when the code says it all. Loop thread only.
     *
     * @implSpec returns null
     * @since 0.1
     */
    default String explainRefusal(OpPayload payload, int code) {
        return null;
    }

    /**
     * Queues a cancellation of the op with {@code userData}. The target then completes, with the cancelled
     * code or with its real result if that won the race; the cancellation itself produces no completion.
     * A target that already completed is ignored.
     *
     * @return false if there is no room now (the host retries after the next {@link #submitAndWait})
     */
    boolean prepareCancel(long userData);

    /**
     * Submits everything queued and delivers available completions to {@code sink}, waiting up to
     * {@code timeoutNanos} for at least one if none is ready: 0 means do not wait, a negative value means
     * wait until a completion or a {@link #wakeup()}. At most one kernel entry per call where the platform
     * allows it.
     *
     * @return the number of completions delivered
     */
    int submitAndWait(long timeoutNanos, CompletionSink sink) throws VeloqIoException;

    /** Makes a blocked or the next {@link #submitAndWait} return promptly. Any thread; cheap when repeated. */
    void wakeup();

    /**
     * Wakes {@code other}, another instance of this driver (another loop of the runtime), through this one:
     * called on this driver's loop thread when that thread hands work to {@code other}'s loop, so the wake-up
     * can ride on this loop's own next submission instead of a syscall of its own (io_uring:
     * {@code IORING_OP_MSG_RING} posts a completion into the other ring, no eventfd write). It must reach
     * {@code other} no later than this driver's next {@link #submitAndWait}, and a spurious wake-up of it is
     * harmless. Returns false if it cannot (another driver type, no room, a kernel without it): the host then
     * calls {@code other.wakeup()}.
     *
     * @implSpec The default returns false.
     * @since 0.3
     */
    default boolean wake(Driver other) {
        return false;
    }

    /**
     * Registers buffer regions for {@code ReadFixed}/{@code WriteFixed}; region {@code i} is
     * {@code slabs[i]}. Only with {@link Capability#REGISTERED_BUFFERS}.
     */
    default void registerBuffers(ByteBuffer[] slabs) throws VeloqIoException {
        throw new UnsupportedOperationException(id() + " driver does not support registered buffers");
    }

    /**
     * Registers a growing pool's first regions ({@code slabs[i]} is region {@code i}) and reserves room for
     * up to {@code maxRegions}, added later one at a time with {@link #addBufferRegion}. Called once, at
     * open, before any op. Only with {@link Capability#REGISTERED_BUFFERS}.
     *
     * <p>A driver that can register only part of the table (a kernel limit) registers what fits and
     * says so in its provider's {@code details()}; an op naming an unregistered region is refused as
     * {@link #prepare} refuses any buffer outside the registered regions.
     *
     * @implSpec The default ignores {@code maxRegions} and calls {@link #registerBuffers(ByteBuffer[])}.
     * @since 0.2
     */
    default void registerBuffers(ByteBuffer[] slabs, int maxRegions) throws VeloqIoException {
        registerBuffers(slabs);
    }

    /**
     * Registers a region the pool just added: {@code slabs} holds every region so far, in index order, the
     * new one last (region {@code slabs.length - 1}). Regions already registered keep their index and
     * stay valid for ops in flight. Called on the loop thread, before the first op naming the new region.
     *
     * @implSpec The default re-registers the whole table with {@link #registerBuffers(ByteBuffer[])
     *     registerBuffers(slabs)}, which a driver written before growing pools supports (it must replace
     *     an earlier registration).
     * @throws VeloqIoException if the region cannot be registered (the kernel's table is full, the locked-
     *     memory limit is reached); the regions registered before stay registered and usable
     * @since 0.2
     */
    default void addBufferRegion(ByteBuffer[] slabs) throws VeloqIoException {
        registerBuffers(slabs);
    }

    /**
     * Registers a provided-buffer ring for multishot receives: buffer group {@code group}, buffer id
     * {@code i} is {@code buffers[i]} (its whole capacity; all of them free at first). A receive of that
     * group takes one free buffer per chunk and reports its id ({@link CompletionSink#BUFFER}); the buffer
     * is free again only after {@link #provideBuffer}. Loop thread, before any op names the group. Only with
     * {@link Capability#MULTISHOT}.
     *
     * @implSpec The default throws {@link UnsupportedOperationException}.
     * @since 0.3
     */
    default void registerBufRing(int group, io.veloq.api.buffer.FixedBuf[] buffers) throws VeloqIoException {
        throw new UnsupportedOperationException(id() + " driver does not support provided-buffer rings");
    }

    /**
     * Gives buffer {@code bufferId} of {@code group} back to the driver: it may be filled again. Loop thread.
     *
     * @implSpec The default throws {@link UnsupportedOperationException}.
     * @since 0.3
     */
    default void provideBuffer(int group, int bufferId) {
        throw new UnsupportedOperationException(id() + " driver does not support provided-buffer rings");
    }

    /**
     * Unregisters a ring; no op of its group is in flight. Loop thread.
     *
     * @implSpec The default does nothing.
     * @since 0.3
     */
    default void unregisterBufRing(int group) {
    }

    /**
     * Puts {@code handle} into the registered-file table; returns the slot. Only with
     * {@link Capability#FIXED_FILES}.
     */
    default int registerFile(long handle) throws VeloqIoException {
        throw new UnsupportedOperationException(id() + " driver does not support registered (fixed) files");
    }

    /** Clears a slot of the registered-file table. */
    default void unregisterFile(int index) throws VeloqIoException {
        throw new UnsupportedOperationException(id() + " driver does not support registered (fixed) files");
    }

    /**
     * An optional facet of this driver, asked for by its interface: {@code driver.facet(XdpDriver.class)}
     * gives the AF_XDP facet of a driver reporting {@link Capability#XDP}. Facets keep optional, platform-bound
     * features out of this interface; each facet's Javadoc states its own threading rules.
     *
     * @implSpec returns null: the driver has no facets.
     * @return the facet, or null when this driver has none of that type
     * @since 0.2
     */
    default <F> F facet(Class<F> type) {
        return null;
    }

    /** {@code bind(2)}. Thread-safe. */
    void bind(IoFd fd, SockAddrStorage local) throws VeloqIoException;

    /** {@code listen(2)}. Thread-safe. */
    void listen(IoFd fd, int backlog) throws VeloqIoException;

    /** {@code getsockname(2)} into {@code out}. Thread-safe. */
    void localAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException;

    /** {@code getpeername(2)} into {@code out}. Thread-safe. */
    void remoteAddress(IoFd fd, SockAddrStorage out) throws VeloqIoException;

    /**
     * Sets a socket option (already validated by the host). Thread-safe.
     *
     * @throws UnsupportedOperationException naming the option and the OS when the platform lacks it
     */
    <T> void setOption(IoFd fd, SocketOption<T> option, T value) throws VeloqIoException;

    /** Reads a socket option from the kernel. Thread-safe. */
    <T> T getOption(IoFd fd, SocketOption<T> option) throws VeloqIoException;

    /** Frees everything; called once, after every prepared op has completed. */
    @Override
    void close();
}
