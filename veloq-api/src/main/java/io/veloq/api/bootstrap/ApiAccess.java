package io.veloq.api.bootstrap;

import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.BufRing;
import io.veloq.api.buffer.BufVec;
import io.veloq.api.buffer.FixedBuf;

import java.lang.invoke.MethodHandles;
import java.nio.ByteBuffer;

/**
 * The runtime host's view of api internals (op state transitions, buffer ownership and memory). This
 * package is exported only to {@code veloq.spi}; the api classes install the implementations from their
 * static initialisers, the classic "shared secrets" pattern, so no internal method is public API.
 */
public final class ApiAccess {
    private static volatile Ops ops;
    private static volatile Bufs bufs;
    private static volatile Fds fds;

    private ApiAccess() {
    }

    /** Op internals the host needs. */
    public interface Ops {
        /** DEFINED -> SUBMITTED and take its buffer, from any thread (CAS); false if the op was not DEFINED. */
        boolean markSubmitted(Op<?> op, Object host);

        /** The same, on the loop thread that owns the op's loop: no CAS (release stores). */
        boolean markSubmittedOnLoop(Op<?> op, Object host);

        /** The payload's kind, cached in the op. */
        io.veloq.api.op.OpKind kind(Op<?> op);

        /** The payload's buffer, cached in the op, or null. */
        FixedBuf buffer(Op<?> op);

        /** The lifetime of the socket the payload's raw handle belongs to, cached in the op, or null. */
        SocketLifetime lifetime(Op<?> op);

        /** SUBMITTED -> COMPLETED, give the buffer back (advancing its indices by {@code value}), run the completer. */
        void complete(Op<?> op, long value, VeloqIoException error);

        /** One item of a multishot op (still SUBMITTED): runs its stream completer's {@code onItem}. */
        void item(Op<?> op, long value, FixedBuf buf);

        /** True if the op's completer is a {@code StreamCompleter}. */
        boolean hasStreamCompleter(Op<?> op);

        boolean hasCompleter(Op<?> op);

        long token(Op<?> op);

        void token(Op<?> op, long token);

        long preAllocated(Op<?> op);

        void preAllocated(Op<?> op, long handle);

        /** The host the op was submitted to, or null. */
        Object host(Op<?> op);

        /** Host data carried while in flight (the future of a {@code submitAsync}); cleared on reset. */
        Object aux(Op<?> op);

        void aux(Op<?> op, Object value);
    }

    /** Buffer internals the host and drivers need. */
    public interface Bufs {
        /**
         * Marks {@code buf} owned by {@code op}; throws if released or owned by another op. {@code onLoop}: the
         * caller is the loop thread (a release store), else a CAS (two threads may submit ops naming it).
         */
        void acquire(FixedBuf buf, Op<?> op, boolean onLoop);

        /** Ends {@code op}'s ownership and advances the buffer's indices by {@code transferred}. */
        void release(FixedBuf buf, Op<?> op, long transferred);

        /** Marks {@code vec} and each of its buffers owned by {@code op}; on failure nothing stays taken. */
        void acquire(BufVec vec, Op<?> op);

        /** Ends {@code op}'s ownership of {@code vec}, spreading {@code transferred} bytes over its buffers in order. */
        void release(BufVec vec, Op<?> op, long transferred);

        /** The vector's driver table: 16 bytes per entry, native order, for the driver's iovec/WSABUF layout. */
        ByteBuffer table(BufVec vec);

        /** The buffer's whole memory: a native-order direct buffer of its capacity (position 0). */
        ByteBuffer memory(FixedBuf buf);

        int readerIndex(FixedBuf buf);

        int writerIndex(FixedBuf buf);

        /** Offset of the buffer's first byte within its slab (region). */
        long offsetInRegion(FixedBuf buf);

        /**
         * A pool whose slabs come from {@code memory} (registered with a driver by the caller): {@code initial}
         * buffers now, growing on demand to {@code max}. {@code name} names it in messages ("loop 0's buffer
         * pool"); {@code capSetting} is the setting a user raises for a larger cap. Throws
         * {@link IllegalStateException} with the cause and the fixes if the first chunk cannot be allocated.
         */
        BufPool newPool(String name, String capSetting, int bufSize, int initial, int max, SlabMemory memory);

        /** The pool's slabs so far, in region-index order, for registration with a driver. Any thread. */
        ByteBuffer[] slabs(BufPool pool);

        /** The most regions the pool can ever have: the size of the driver table to reserve. */
        int maxRegions(BufPool pool);

        /** Marks the pool as registered with a driver (ReadFixed/WriteFixed allowed) or not. */
        void registered(BufPool pool, boolean registered);

        /** A ring of {@code bufs} (leased by the caller; buffer id = array index), all in the ring at first. */
        BufRing newRing(String name, FixedBuf[] bufs, int group, RingHost host);

        /** Buffer {@code id}, filled by the driver with {@code length} bytes, leaves the ring for the application. */
        FixedBuf takeFromRing(BufRing ring, int id, int length);

        /** The ring's buffers, by id. */
        FixedBuf[] ringBuffers(BufRing ring);

        /** Counts ops in the driver that use the ring (loop thread). */
        void ringUsers(BufRing ring, int delta);

        int ringUsers(BufRing ring);

        /** The ring is unregistered: buffers in it return to their pool, the others when released. */
        void ringClosed(BufRing ring);
    }

    /** Descriptor internals: the socket lifetime a raw handle of the networking API carries. */
    public interface Fds {
        /** A raw handle bound to {@code owner}: ops naming it are refused once the owner is closed. */
        IoFd.Raw owned(long handle, SocketLifetime owner);

        /** The lifetime {@code fd} is bound to, or null for a user's own raw handle. */
        SocketLifetime owner(IoFd.Raw fd);
    }

    public static void installFds(Fds f) {
        if (fds == null) {
            fds = f;
        }
    }

    public static Fds fds() {
        Fds f = fds;
        if (f == null) {
            init(IoFd.Raw.class);
            f = fds;
        }
        return f;
    }

    public static void installOps(Ops o) {
        if (ops == null) {
            ops = o;
        }
    }

    public static void installBufs(Bufs b) {
        if (bufs == null) {
            bufs = b;
        }
    }

    public static Ops ops() {
        Ops o = ops;
        if (o == null) {
            init(Op.class);
            o = ops;
        }
        return o;
    }

    public static Bufs bufs() {
        Bufs b = bufs;
        if (b == null) {
            init(FixedBuf.class);
            b = bufs;
        }
        return b;
    }

    private static void init(Class<?> c) {
        try {
            MethodHandles.lookup().ensureInitialized(c);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot initialise " + c, e);
        }
    }
}
