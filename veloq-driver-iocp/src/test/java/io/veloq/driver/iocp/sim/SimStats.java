package io.veloq.driver.iocp.sim;

import java.util.concurrent.atomic.AtomicLong;

/** What happened inside a {@link SimWin32}, for tests that check which paths ran. */
public final class SimStats {
    final AtomicLong queuedPackets = new AtomicLong();
    final AtomicLong skippedPackets = new AtomicLong();
    final AtomicLong succeededAtOnce = new AtomicLong();
    final AtomicLong pended = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong entriesDequeued = new AtomicLong();
    final AtomicLong largestBatch = new AtomicLong();
    final AtomicLong waits = new AtomicLong();
    final AtomicLong fileAtOnce = new AtomicLong();
    final AtomicLong filePended = new AtomicLong();
    final AtomicLong blockingCalls = new AtomicLong();
    final AtomicLong lostPackets = new AtomicLong();

    public long queuedPackets() {
        return queuedPackets.get();
    }

    public long skippedPackets() {
        return skippedPackets.get();
    }

    public long succeededAtOnce() {
        return succeededAtOnce.get();
    }

    public long pended() {
        return pended.get();
    }

    public long cancelled() {
        return cancelled.get();
    }

    public long largestBatch() {
        return largestBatch.get();
    }

    /** GetQueuedCompletionStatusEx calls. */
    public long waits() {
        return waits.get();
    }

    /** ReadFile/WriteFile calls that completed at once. */
    public long fileAtOnce() {
        return fileAtOnce.get();
    }

    /** ReadFile/WriteFile calls that returned ERROR_IO_PENDING. */
    public long filePended() {
        return filePended.get();
    }

    /** FlushFileBuffers, CreateFileW and lingering closesocket calls. */
    public long blockingCalls() {
        return blockingCalls.get();
    }

    /**
     * Completion packets of I/O requests that nobody can dequeue: queued to a port that was closed, or still
     * queued in one when it closed. The op they complete never learns its outcome.
     */
    public long lostPackets() {
        return lostPackets.get();
    }

    @Override
    public String toString() {
        return "queued packets " + queuedPackets + ", skipped packets " + skippedPackets + ", succeeded at once "
                + succeededAtOnce + ", pended " + pended + ", cancelled " + cancelled + ", largest batch "
                + largestBatch + ", waits " + waits + ", file I/O at once " + fileAtOnce + ", pended "
                + filePended + ", blocking calls " + blockingCalls + ", lost packets " + lostPackets;
    }
}
