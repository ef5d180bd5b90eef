package io.veloq.api.bootstrap;

import io.veloq.api.buffer.BufRing;

/**
 * What a {@link BufRing} needs from the loop that owns it: hand a released buffer back to the driver's
 * ring, on the loop thread, and unregister the ring on close. Implemented by the runtime host.
 */
public interface RingHost {
    /** True on the owning loop's thread. */
    boolean inLoop();

    /** Runs {@code task} on the owning loop's thread. */
    void execute(Runnable task);

    /** Gives buffer {@code id} of {@code ring} back to the driver; loop thread only. */
    void provide(BufRing ring, int id);

    /** Unregisters {@code ring} from the driver and returns its buffers to their pool (any thread; waits). */
    void close(BufRing ring);
}
