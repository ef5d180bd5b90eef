package io.veloq.driver.uring;

import io.veloq.api.IoFd;
import io.veloq.api.op.SendFile;
import io.veloq.driver.uring.ffi.Syscalls;
import io.veloq.spi.LinuxErrno;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * {@link SendFile} on io_uring: two SPLICE SQEs through a pipe, file -> pipe then pipe -> socket, so the
 * file's page-cache pages go to the socket by reference and never through user space.
 *
 * <h2>The chain</h2>
 * The head ({@code file@offset -> pipe}, {@code len = min(count, pipe capacity)}) is hard-linked to the tail
 * ({@code pipe -> socket}, same {@code len}, {@code SPLICE_F_NONBLOCK}): the tail always runs after the head,
 * whatever the head's result (a short head, EOF or an error would cancel a soft link and leave bytes in the
 * pipe), and drains exactly what the head put in the pipe. The non-blocking flag applies to the pipe only: an
 * empty pipe (the head read nothing) makes the tail fail with {@code EAGAIN} at once instead of waiting for
 * bytes that never come; the socket side still blocks (in io_uring's worker) until every byte is sent. The
 * head's CQE carries the op's user data with {@link #HEAD} set; the tail's is the op's own. The op completes
 * when both have been seen, in either order, with what the tail sent, or the first error that explains a
 * shortfall.
 *
 * <h2>Deadlines</h2>
 * A {@code LINK_TIMEOUT} behind the tail never fired here (Linux 6.18: the op stayed in flight until the ring
 * closed; nor after a tail submitted alone once the head was done), so a chain with a deadline gets a plain
 * {@code TIMEOUT} beside it, user data {@code kernelUserData | }{@link #TIMER}. When it expires before the
 * chain ends, the chain is cancelled like a user cancel, and the op ends with {@code ECANCELED}, which the
 * host reports as {@code TIMED_OUT}, or with the bytes already sent. When the chain ends first, the timer is
 * cancelled. Both cancels need an SQE while the CQ is drained: they are queued and written right after the
 * drain, before the loop turn's one {@code io_uring_enter}.
 *
 * <h2>Pipes</h2>
 * Each op in flight holds a pipe of its own (two ops on one pipe would interleave their bytes). Pipes are
 * made on first need, sized once with {@code F_SETPIPE_SZ} (falling back to the kernel's default when the
 * per-user pipe limit refuses), and go back to a free list when their op ends with the pipe empty, so a
 * steady server makes no pipe per op. A pipe that may still hold bytes (the tail was cancelled or failed
 * half-way) is closed instead of reused. All are closed with the driver.
 *
 * <p>Loop thread only; allocates nothing per op (the per-slot state is arrays sized by the slot table; the
 * pipe lists grow by doubling while the number of concurrent SendFiles grows).
 */
final class SpliceChains {
    /** Set in the user data of a chain's head; the slot table's generations stay below it. */
    static final long HEAD = 1L << 62;
    /** Set in the user data of a chain's deadline timer. */
    static final long TIMER = 1L << 61;
    /** {@link #completed}: the op waits for its other CQE. */
    static final long PENDING = Long.MIN_VALUE;
    /** The pipe capacity asked for by default: 256 KiB, 64 pages (the per-user soft limit is 16384 pages). */
    static final int DEFAULT_PIPE_BYTES = 256 * 1024;

    private static final int EAGAIN = LinuxErrno.EAGAIN.code();
    private static final int EINTR = LinuxErrno.EINTR.code();
    private static final int ECANCELED = LinuxErrno.ECANCELED.code();
    private static final int EBADF = LinuxErrno.EBADF.code();
    private static final int EOPNOTSUPP = LinuxErrno.EOPNOTSUPP.code();
    private static final int ETIME = LinuxErrno.ETIME.code();
    /** The kernel's internal "restart the system call", seen when a signal interrupts a worker's splice. */
    private static final int ERESTARTSYS = 512;
    private static final int NO_RESULT = Integer.MIN_VALUE;

    /** Hands out SQ entries: the SQ index for one more SQE, or -1 when the SQ has no room now. */
    interface Submissions {
        int claim();
    }

    private final Syscalls sys;
    private final NativeMemory mem;
    private final SqeEncoder encoder;
    private final SlotTable slots;
    private final FixedFiles fixedFiles;
    private final boolean supported;
    private final int wantedPipeBytes;
    private final long pipeFds;
    private final ByteBuffer pipeFdsView;

    // Per slot of the slot table.
    private final boolean[] active;
    private final int[] pipeOf;
    private final int[] headRes;
    private final int[] tailRes;
    private final int[] len;
    private final boolean[] cancelRequested;
    /** The chain's deadline timer is in the kernel. */
    private final boolean[] timerArmed;

    // The pipes: index -> ends and capacity; a free list of indexes.
    private int[] readEnd = new int[4];
    private int[] writeEnd = new int[4];
    private int[] capacity = new int[4];
    private int pipes;
    private int[] free = new int[4];
    private int freeCount;
    private long pipesMade;

    /** Slots whose tail needs a cancel sent (found while draining, where no SQE is taken). */
    private int[] recancel = new int[8];
    private int recancelCount;
    /** User data of deadline timers to cancel (their chain ended first). */
    private long[] disarm = new long[8];
    private int disarmCount;
    /** Deadline timers in the kernel (their CQEs are still to come). */
    private int timersInKernel;

    SpliceChains(NativeMemory mem, SqeEncoder encoder, SlotTable slots, FixedFiles fixedFiles, boolean supported,
                 int wantedPipeBytes) {
        this.sys = mem.syscalls();
        this.mem = mem;
        this.encoder = encoder;
        this.slots = slots;
        this.fixedFiles = fixedFiles;
        this.supported = supported;
        this.wantedPipeBytes = wantedPipeBytes;
        int n = slots.capacity();
        active = new boolean[n];
        pipeOf = new int[n];
        headRes = new int[n];
        tailRes = new int[n];
        len = new int[n];
        cancelRequested = new boolean[n];
        timerArmed = new boolean[n];
        pipeFds = mem.allocate(8, "pipe2 result for SendFile pipes");
        pipeFdsView = mem.view(pipeFds, 8);
    }

    /** The kernel has IORING_OP_SPLICE (5.7+). */
    boolean supported() {
        return supported;
    }

    /** True while {@code slot} holds a SendFile chain. */
    boolean active(int slot) {
        return active[slot];
    }

    /** 0, or minus the errno to refuse {@code p} with before any slot or SQE is taken. */
    int check(SendFile p) {
        if (!supported) {
            return -EOPNOTSUPP;
        }
        return valid(p.socket()) && valid(p.file()) ? 0 : -EBADF;
    }

    private boolean valid(IoFd fd) {
        if (fd instanceof IoFd.Raw r) {
            return r.handle() >= 0 && r.handle() <= Integer.MAX_VALUE;
        }
        return fixedFiles != null && fixedFiles.occupied(((IoFd.Fixed) fd).index());
    }

    /**
     * Takes a pipe and writes the chain's two SQEs at {@code headAt} and {@code tailAt}, and its deadline timer
     * at {@code timerAt} when {@code deadlineNanos > 0}. Returns 0, or minus the errno (no pipe could be made)
     * with nothing written.
     */
    int start(int slot, SendFile p, int headAt, int tailAt, int timerAt, long deadlineNanos) {
        int pipe = takePipe();
        if (pipe < 0) {
            return pipe;
        }
        long kud = slots.kernelUserData(slot);
        int n = (int) Math.min(p.count(), capacity[pipe]);
        active[slot] = true;
        pipeOf[slot] = pipe;
        headRes[slot] = NO_RESULT;
        tailRes[slot] = NO_RESULT;
        len[slot] = n;
        cancelRequested[slot] = false;
        IoFd file = p.file();
        boolean fileFixed = file instanceof IoFd.Fixed;
        int fileFd = fileFixed ? ((IoFd.Fixed) file).index() : (int) ((IoFd.Raw) file).handle();
        encoder.encodeSplice(headAt, fileFd, fileFixed, p.offset(), writeEnd[pipe], SQE_IO_HARDLINK, n, kud | HEAD);
        IoFd socket = p.socket();
        boolean socketFixed = socket instanceof IoFd.Fixed;
        int socketFd = socketFixed ? ((IoFd.Fixed) socket).index() : (int) ((IoFd.Raw) socket).handle();
        int tailFlags = socketFixed ? SQE_FIXED_FILE : 0;
        encoder.encodeSpliceFromPipe(tailAt, readEnd[pipe], socketFd, tailFlags, n, kud);
        timerArmed[slot] = deadlineNanos > 0;
        if (deadlineNanos > 0) {
            encoder.encodeDeadline(timerAt, slot, deadlineNanos, kud | TIMER);
            timersInKernel++;
        }
        return 0;
    }

    /**
     * One CQE of the chain in {@code slot}. Returns {@link #PENDING} while the other is outstanding, else the
     * op's result (bytes sent, or minus errno), after which the slot is no longer a chain's.
     */
    long completed(int slot, boolean head, int res) {
        if (head) {
            headRes[slot] = res;
            if (tailRes[slot] == NO_RESULT && cancelRequested[slot]) {
                // The cancel may have missed the tail while it waited behind the head: send it again now that
                // the tail is issued (the kernel queues a link's next request before it posts the head's CQE).
                queueRecancel(slot);
            }
        } else {
            tailRes[slot] = res;
        }
        if (headRes[slot] == NO_RESULT || tailRes[slot] == NO_RESULT) {
            return PENDING;
        }
        int h = headRes[slot];
        int t = tailRes[slot];
        int pipe = pipeOf[slot];
        active[slot] = false;
        int inPipe = Math.max(h, 0);
        if (t == -EINTR || t == -ERESTARTSYS) {
            t = -ECANCELED; // a worker's splice interrupted by a cancel (or a deadline) reports the signal
        }
        long result;
        if (t >= 0) {
            result = t;
            inPipe -= t;
        } else if (t == -EAGAIN && h <= 0) {
            result = h == 0 ? 0 : h; // the pipe was empty: end of file, or the head's own error
        } else {
            result = t == -EAGAIN ? -ECANCELED : t;
            if (h < 0 && t == -ECANCELED) {
                result = h;
            }
        }
        if (timerArmed[slot]) {
            timerArmed[slot] = false;
            if (disarmCount == disarm.length) {
                disarm = Arrays.copyOf(disarm, disarmCount * 2);
            }
            disarm[disarmCount++] = slots.kernelUserData(slot) | TIMER;
        }
        if (inPipe == 0) {
            free[freeCount++] = pipe;
        } else {
            discardPipe(pipe); // bytes the socket did not take: never let them reach the next op's socket
        }
        return result;
    }

    /**
     * Cancels the chain in {@code slot}: the tail (and the head, should it still run). Needs two SQEs; false
     * when the SQ lacks room now (the host retries).
     */
    boolean cancel(int slot, Submissions sq) {
        int a = sq.claim();
        if (a < 0) {
            return false;
        }
        int b = sq.claim();
        long kud = slots.kernelUserData(slot);
        cancelRequested[slot] = true;
        encoder.encodeCancel(a, kud, 0, UringDriver.CANCEL);
        if (b < 0) {
            queueRecancel(slot); // the head cannot be reached now; the tail's cancel goes again later
            return true;
        }
        encoder.encodeCancel(b, kud | HEAD, 0, UringDriver.CANCEL);
        return true;
    }

    /**
     * The CQE of a deadline timer ({@code ud} without {@link #TIMER}). Expired while its chain still runs:
     * the chain is cancelled (the cancel goes out with {@link #flushCancels}).
     */
    void timerCompleted(long ud, int res) {
        timersInKernel--;
        if (res != -ETIME || !slots.matches(ud)) {
            return; // cancelled because the chain ended, or a late CQE of an op that is gone
        }
        int slot = (int) ud;
        if (active[slot] && timerArmed[slot]) {
            timerArmed[slot] = false;
            if (!cancelRequested[slot]) {
                cancelRequested[slot] = true;
                queueRecancel(slot);
            }
        }
    }

    /** Deadline timers whose CQE is still to come (the driver's close waits for them). */
    int timersInKernel() {
        return timersInKernel;
    }

    /** Marks every chain sending to {@code socketFd} for cancellation (the socket is being closed). */
    void cancelOnSocket(int socketFd) {
        for (int slot = 0; slot < active.length; slot++) {
            if (active[slot] && !cancelRequested[slot] && slots.payload(slot) instanceof SendFile p
                    && p.socket() instanceof IoFd.Raw r && r.handle() == socketFd) {
                cancelRequested[slot] = true;
                queueRecancel(slot);
            }
        }
    }

    /** Sends the cancels queued while draining; returns the internal SQEs written. */
    int flushCancels(Submissions sq) {
        int written = 0;
        int kept = 0;
        for (int i = 0; i < disarmCount; i++) {
            int at = sq.claim();
            if (at < 0) {
                disarm[kept++] = disarm[i];
                continue;
            }
            encoder.encodeCancel(at, disarm[i], 0, UringDriver.CANCEL);
            written++;
        }
        disarmCount = kept;
        kept = 0;
        for (int i = 0; i < recancelCount; i++) {
            int slot = recancel[i];
            if (!active[slot] || tailRes[slot] != NO_RESULT) {
                continue;
            }
            int at = sq.claim();
            if (at < 0) {
                recancel[kept++] = slot;
                continue;
            }
            encoder.encodeCancel(at, slots.kernelUserData(slot), 0, UringDriver.CANCEL);
            written++;
        }
        recancelCount = kept;
        return written;
    }

    boolean hasQueuedCancels() {
        return recancelCount > 0 || disarmCount > 0;
    }

    private void queueRecancel(int slot) {
        if (recancelCount == recancel.length) {
            recancel = Arrays.copyOf(recancel, recancelCount * 2);
        }
        recancel[recancelCount++] = slot;
    }

    // ---- pipes ----

    private int takePipe() {
        int index;
        if (freeCount > 0) {
            index = free[--freeCount];
            if (readEnd[index] >= 0) {
                return index;
            }
        } else {
            index = pipes;
            if (index == readEnd.length) {
                readEnd = Arrays.copyOf(readEnd, index * 2);
                writeEnd = Arrays.copyOf(writeEnd, index * 2);
                capacity = Arrays.copyOf(capacity, index * 2);
                free = Arrays.copyOf(free, index * 2);
            }
            readEnd[index] = -1;
            writeEnd[index] = -1;
            pipes++;
        }
        long rc = sys.pipe2(pipeFds, O_CLOEXEC);
        if (rc < 0) {
            free[freeCount++] = index; // still without a pipe: the next SendFile tries again
            return (int) rc;
        }
        int w = pipeFdsView.getInt(4);
        if (wantedPipeBytes > 0) {
            sys.fcntl(w, F_SETPIPE_SZ, wantedPipeBytes); // refused above the per-user limit: keep the default
        }
        long size = sys.fcntl(w, F_GETPIPE_SZ, 0);
        readEnd[index] = pipeFdsView.getInt(0);
        writeEnd[index] = w;
        capacity[index] = size > 0 ? (int) size : 65536;
        pipesMade++;
        return index;
    }

    /** Closes a pipe that may hold bytes; its index goes back to the free list and gets a fresh pipe when taken. */
    private void discardPipe(int pipe) {
        sys.close(readEnd[pipe]);
        sys.close(writeEnd[pipe]);
        readEnd[pipe] = -1;
        writeEnd[pipe] = -1;
        free[freeCount++] = pipe;
    }

    /** Pipes open now (tests: a cancelled send closes its pipe, a finished one keeps it for the next). */
    int openPipes() {
        int n = 0;
        for (int i = 0; i < pipes; i++) {
            if (readEnd[i] >= 0) {
                n++;
            }
        }
        return n;
    }

    /** The descriptors of the pipes open now, both ends (tests: they are gone after a discard or close). */
    int[] openPipeEnds() {
        int[] ends = new int[2 * openPipes()];
        int k = 0;
        for (int i = 0; i < pipes; i++) {
            if (readEnd[i] >= 0) {
                ends[k++] = readEnd[i];
                ends[k++] = writeEnd[i];
            }
        }
        return ends;
    }

    /** Pipes made since the driver opened (tests: a steady sender makes one). */
    long pipesMade() {
        return pipesMade;
    }

    /** The capacity of the pipes, as the kernel set it (0 before the first SendFile). */
    int pipeCapacity() {
        for (int i = 0; i < pipes; i++) {
            if (readEnd[i] >= 0) {
                return capacity[i];
            }
        }
        return 0;
    }

    /** Closes every pipe and frees the scratch; after the ring has drained. */
    void close() {
        for (int i = 0; i < pipes; i++) {
            if (readEnd[i] >= 0) {
                sys.close(readEnd[i]);
                sys.close(writeEnd[i]);
                readEnd[i] = -1;
                writeEnd[i] = -1;
            }
        }
        pipes = 0;
        freeCount = 0;
        mem.free(pipeFds);
    }
}
