package io.veloq.driver.iocp;

import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.AcceptMultishot;
import io.veloq.api.op.RecvMultishot;
import io.veloq.spi.CompletionSink;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Multishot accept and receive, which Windows lacks, emulated inside the driver: the op keeps its slot and
 * its driver-side request is re-issued after each completion ({@code AcceptEx} with a fresh socket each time;
 * {@code WSARecv} into the next free buffer of the op's ring), each completion becoming an item
 * ({@link CompletionSink#MORE}), until a failure, end of stream, a cancel or a dry ring ({@code WSAENOBUFS})
 * ends the op with its one final completion, as on io_uring. Re-issues go through the driver's submission
 * queue (the next turn), never from inside a completion, so an inline completion cannot recurse.
 *
 * <p>Buffer rings are kept here: per group, its buffers by id and the ids free to fill, in order. Loop
 * thread only.
 */
final class StreamOps {
    private static final int WSAENOBUFS = Win32Error.WSAENOBUFS.code();
    private static final int ABORTED = Win32Error.ERROR_OPERATION_ABORTED.code();

    private final IocpDriver d;
    private final Map<Integer, FixedBuf[]> groups = new HashMap<>();
    private final Map<Integer, ArrayDeque<Integer>> free = new HashMap<>();
    private final int[] bufferOf;

    StreamOps(IocpDriver d, int capacity) {
        this.d = d;
        this.bufferOf = new int[capacity];
        Arrays.fill(bufferOf, -1);
    }

    // ---- buffer rings ----

    void register(int group, FixedBuf[] bufs) {
        if (groups.containsKey(group)) {
            throw new IllegalStateException("buffer group " + group + " is already registered");
        }
        groups.put(group, bufs.clone());
        ArrayDeque<Integer> ids = new ArrayDeque<>();
        for (int i = 0; i < bufs.length; i++) {
            ids.addLast(i);
        }
        free.put(group, ids);
    }

    void provide(int group, int id) {
        ArrayDeque<Integer> ids = free.get(group);
        if (ids == null) {
            throw new IllegalStateException("buffer group " + group + " is not registered with this iocp driver");
        }
        ids.addLast(id);
    }

    void unregister(int group) {
        groups.remove(group);
        free.remove(group);
    }

    // ---- starting (and re-issuing) ----

    void startAccept(int slot, AcceptMultishot a) {
        long socket;
        try {
            socket = d.acceptLifecycle().createAcceptSocket(a.fd(), a.describe());
        } catch (VeloqIoException e) {
            d.ready(slot, -e.code());
            return;
        }
        d.preAllocated(slot, socket);
        d.sockets().startAccept(slot, a.fd());
    }

    void startRecv(int slot, RecvMultishot r) {
        int group = r.ring().group();
        ArrayDeque<Integer> ids = free.get(group);
        if (ids == null) {
            d.ready(slot, -Win32Error.WSAEINVAL.code());
            return;
        }
        Integer id = ids.pollFirst();
        if (id == null) {
            d.ready(slot, -WSAENOBUFS); // the ring is dry: the stream ends, as with ENOBUFS on io_uring
            return;
        }
        bufferOf[slot] = id;
        d.sockets().startRecvInto(slot, r.fd(), r.flags(), groups.get(group)[id]);
    }

    // ---- completion of one request of a stream ----

    /** The request of the multishot op in {@code slot} completed (status and bytes as for any op). */
    void completed(int slot, boolean success, int code, long bytes) {
        Object p = d.payload(slot);
        if (p instanceof AcceptMultishot a) {
            long socket = d.preAllocated(slot);
            d.preAllocated(slot, io.veloq.api.OpLifecycle.NONE);
            if (!success) {
                discard(socket);
                d.ready(slot, -code);
                return;
            }
            try {
                d.acceptLifecycle().updateAcceptContext(a.fd(), a.describe(), socket);
                d.item(slot, socket, 0, 0);
            } catch (VeloqIoException e) {
                discard(socket); // this connection is lost (reset before we saw it); the stream goes on
            }
            again(slot);
            return;
        }
        RecvMultishot r = (RecvMultishot) p;
        int id = bufferOf[slot];
        bufferOf[slot] = -1;
        if (!success || bytes == 0) {
            if (id >= 0) {
                provide(r.ring().group(), id); // taken for nothing
            }
            d.ready(slot, success ? 0 : -code); // end of stream, or the error
            return;
        }
        d.item(slot, bytes, CompletionSink.BUFFER, id);
        again(slot);
    }

    /** Re-issues the stream's request next turn, unless it was cancelled meanwhile. */
    private void again(int slot) {
        if (d.cancelAsked(slot)) {
            d.ready(slot, -ABORTED);
            return;
        }
        d.requeue(slot);
    }

    private void discard(long socket) {
        if (socket != io.veloq.api.OpLifecycle.NONE) {
            d.acceptLifecycle().discard(null, socket); // closes it and forgets the handle
        }
    }

}
