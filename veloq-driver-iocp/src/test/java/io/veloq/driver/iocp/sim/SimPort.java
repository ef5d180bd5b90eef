package io.veloq.driver.iocp.sim;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * A simulated I/O completion port: a FIFO of packets (key, OVERLAPPED address, bytes, status, and whether an
 * I/O request queued it). Closing it drops what is queued; an I/O packet dropped there, or queued to it later
 * (Windows keeps the port object alive while associated handles exist, but nobody can dequeue from it any
 * more), is counted as lost ({@link SimStats#lostPackets()}).
 */
final class SimPort extends SimHandle {
    private final ArrayDeque<long[]> packets = new ArrayDeque<>();
    private boolean closed;

    SimPort(SimWin32 os, long value) {
        super(os, value);
    }

    synchronized void post(long key, long overlapped, long bytes, int status, boolean io) {
        if (closed) {
            if (io) {
                os.stats.lostPackets.incrementAndGet();
            }
            return;
        }
        packets.add(new long[]{key, overlapped, bytes, Integer.toUnsignedLong(status), io ? 1 : 0});
        os.stats.queuedPackets.incrementAndGet();
        notifyAll();
    }

    /**
     * Waits up to {@code millis} (-1: forever) for a packet, then moves up to {@code count} into the
     * OVERLAPPED_ENTRY array. Returns how many, 0 on timeout, -1 if the port was closed.
     *
     * <p>A timeout expires on the system clock tick, as Windows waits do: the due time is the last tick plus
     * {@code millis}, and the wait ends at the first tick at or after it. So a wait may end up to one tick
     * early or late, and a 1 ms wait usually lasts until the next tick.
     */
    synchronized int take(long entries, int count, int millis, long tickNanos) throws InterruptedException {
        long deadline = expiry(System.nanoTime(), millis, tickNanos);
        while (packets.isEmpty() && !closed) {
            if (millis == -1) {
                wait();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return 0;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
        if (closed) {
            return -1;
        }
        int n = Math.min(count, packets.size());
        ByteBuffer out = SimMemory.view(entries, n * 32);
        for (int i = 0; i < n; i++) {
            long[] p = packets.poll();
            out.putLong(i * 32, p[0]);        // lpCompletionKey
            out.putLong(i * 32 + 8, p[1]);    // lpOverlapped
            out.putLong(i * 32 + 16, p[3]);   // Internal (the status; documented as reserved)
            out.putInt(i * 32 + 24, (int) p[2]); // dwNumberOfBytesTransferred
            out.putInt(i * 32 + 28, 0);
        }
        return n;
    }

    /** When a wait of {@code millis} started at {@code now} times out on a clock ticking every {@code tick} ns. */
    static long expiry(long now, int millis, long tick) {
        long wanted = millis * 1_000_000L;
        if (tick <= 0 || millis <= 0) {
            return now + wanted;
        }
        long lastTick = Math.floorDiv(now, tick) * tick;
        long due = lastTick + wanted;
        return Math.floorDiv(due + tick - 1, tick) * tick;
    }

    synchronized int queued() {
        return packets.size();
    }

    synchronized void close() {
        closed = true;
        for (long[] p : packets) {
            if (p[4] != 0) {
                os.stats.lostPackets.incrementAndGet();
            }
        }
        packets.clear();
        notifyAll();
    }
}
