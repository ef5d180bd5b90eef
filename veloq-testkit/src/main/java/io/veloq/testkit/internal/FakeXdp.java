package io.veloq.testkit.internal;

import io.veloq.api.VeloqIoException;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.spi.xdp.XdpDriver;
import io.veloq.spi.xdp.XdpEndpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * The fake driver's AF_XDP facet: opens {@link FakeXsk}s on the process's {@link FakeXdpNetwork} and fires
 * their readiness from the driver's {@code submitAndWait}, on the loop thread, whenever an armed socket's
 * events hold (like a poll that completes). Deterministic: nothing happens unless the test delivers a frame
 * or the code kicks.
 */
final class FakeXdp implements XdpDriver {
    private final FakeDriver driver;
    private final FakeXdpNetwork network;
    private final List<FakeXsk> open = new ArrayList<>();
    private static int umemIds;

    FakeXdp(FakeDriver driver, FakeXdpNetwork network) {
        this.driver = driver;
        this.network = network;
    }

    Object lock() {
        return network.lock();
    }

    FakeXdpNetwork network() {
        return network;
    }

    void wake() {
        driver.wakeup();
    }

    @Override
    public XdpEndpoint open(XdpConfig config, XdpEndpoint sharedWith) throws VeloqIoException {
        synchronized (lock()) {
            FakeXsk shared = null;
            if (sharedWith != null) {
                if (!(sharedWith instanceof FakeXsk s) || !open.contains(s)) {
                    throw new IllegalArgumentException("sharedUmem: " + sharedWith + " is not an open socket of this fake driver");
                }
                shared = s;
            }
            FakeXdpNetwork.Iface iface = network.check(config, shared);
            FakeXsk x = new FakeXsk(this, iface, network.nextFd(), config, shared == null ? null : shared.umem, ++umemIds);
            network.join(iface, x, config);
            open.add(x);
            return x;
        }
    }

    void closed(FakeXsk x) {
        synchronized (lock()) {
            open.remove(x);
        }
    }

    /** True when an armed socket's events hold: the driver must not sleep. */
    boolean anyReady() {
        for (FakeXsk x : open) {
            if (x.wantEvents != 0 && (x.readyEvents() & x.wantEvents) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Fires every armed socket whose events hold; loop thread, kernel lock not held. Returns how many fired. */
    int fireReady() {
        if (open.isEmpty()) {
            return 0;
        }
        List<FakeXsk> due = new ArrayList<>();
        synchronized (lock()) {
            for (FakeXsk x : open) {
                if (x.wantEvents != 0 && (x.readyEvents() & x.wantEvents) != 0) {
                    due.add(x);
                }
            }
        }
        for (FakeXsk x : due) {
            int ev = x.readyEvents() & x.wantEvents;
            XdpEndpoint.Readiness r = x.ready;
            x.wantEvents = 0;
            x.ready = null;
            if (r != null && ev != 0 && !x.isClosed()) {
                r.ready(ev);
            }
        }
        return due.size();
    }

    /** Sockets left open when the driver closes. */
    void closeAll() {
        List<FakeXsk> left;
        synchronized (lock()) {
            left = new ArrayList<>(open);
        }
        for (FakeXsk x : left) {
            x.close();
        }
    }

    int openSockets() {
        synchronized (lock()) {
            return open.size();
        }
    }
}
