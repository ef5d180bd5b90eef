package io.veloq.spi.internal.host;

import io.veloq.api.Capability;
import io.veloq.api.RuntimeConfig;
import io.veloq.api.VeloqIoException;
import io.veloq.api.bootstrap.ApiAccess;
import io.veloq.api.bootstrap.SlabMemory;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.spi.Driver;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A loop's buffer pool and its registration with the loop's driver. The pool grows on whatever thread
 * leases (it adds a slab when no buffer is free), but the driver may be called on the loop thread only,
 * so a new region is registered when an op that names it is about to reach the driver: a
 * {@code ReadFixed}/{@code WriteFixed} pays for the registration once, every other op never looks.
 * Loop thread only, except {@link #pool()}.
 *
 * <p>If the driver cannot register a region (a full kernel table, the locked-memory limit), the regions
 * before it stay registered, fixed-buffer ops on later regions are refused with the reason, and buffers
 * from every region still serve {@code Recv}/{@code Send}/{@code Read}/{@code Write}.
 */
final class PoolRegions {
    private static final ApiAccess.Bufs BUFS = ApiAccess.bufs();

    private final BufPool pool;
    private final Driver driver; // null: the driver has no registered buffers; the pool just grows
    private int registered;
    private String stopped;

    private PoolRegions(BufPool pool, Driver driver) {
        this.pool = pool;
        this.driver = driver;
    }

    /**
     * Allocates the pool's first chunk and registers it, reserving the driver's table for the cap.
     *
     * @throws IllegalStateException if the first chunk cannot be allocated (the message names the cause and
     *     the fixes) or the driver refuses the registration; nothing is left allocated
     */
    static PoolRegions open(int loop, RuntimeConfig config, Driver driver, String driverId) {
        BufPool pool = BUFS.newPool("loop " + loop + "'s buffer pool", "IoRuntime.builder().buffers(size, max)",
                config.bufferSize(), config.initialBuffers(), config.bufferCount(), SlabMemory.DIRECT);
        if (!driver.capabilities().contains(Capability.REGISTERED_BUFFERS)) {
            return new PoolRegions(pool, null);
        }
        PoolRegions r = new PoolRegions(pool, driver);
        ByteBuffer[] slabs = BUFS.slabs(pool);
        try {
            driver.registerBuffers(slabs, BUFS.maxRegions(pool));
        } catch (VeloqIoException e) {
            pool.close();
            throw new IllegalStateException("cannot register " + pool + " with the " + driverId + " driver: "
                    + e.getMessage(), e);
        }
        r.registered = slabs.length;
        BUFS.registered(pool, true);
        return r;
    }

    BufPool pool() {
        return pool;
    }

    /** Before a fixed-buffer op reaches the driver: registers the regions the pool added since the last one. */
    void cover(FixedBuf buf) {
        if (driver != null && buf.regionIndex() >= registered && stopped == null && buf.pool() == pool) {
            ByteBuffer[] slabs = BUFS.slabs(pool);
            while (registered < slabs.length) {
                try {
                    driver.addBufferRegion(Arrays.copyOf(slabs, registered + 1));
                } catch (VeloqIoException | UnsupportedOperationException e) {
                    stopped = "the driver registered regions 0.." + (registered - 1) + " and refused region " + registered
                            + ": " + e.getMessage();
                    return;
                }
                registered++;
            }
        }
    }

    /** Why {@code buf}'s region is not registered with the driver, or null if it is (or is not this pool's). */
    String unregistered(FixedBuf buf) {
        if (driver == null || buf.pool() != pool || buf.regionIndex() < registered) {
            return null;
        }
        return "region " + buf.regionIndex() + " of " + pool + " is not registered with the driver"
                + (stopped == null ? "" : ": " + stopped);
    }

    /** Regions the driver has registered so far. */
    int registeredRegions() {
        return registered;
    }

    /** Frees the pool's slabs if every buffer is back (else they go when the last holder drops them). */
    void close() {
        if (pool.outstanding() == 0) {
            pool.close();
        }
    }
}
