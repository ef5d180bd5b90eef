package io.veloq.driver.iocp;

import io.veloq.driver.iocp.sim.SimWin32;

/**
 * Chooses what the driver's tests run against: the IOCP simulator or the real Windows bindings. System
 * property {@code veloq.iocp.binding} = {@code sim} | {@code real}; default {@code real} on Windows,
 * {@code sim} elsewhere. The simulator is never chosen on Windows unless asked for by name, and asking for
 * the real bindings anywhere else fails loudly instead of skipping.
 *
 * <pre>{@code mvn -pl veloq-driver-iocp -am verify -Dveloq.iocp.binding=real   # on Windows}</pre>
 */
public final class Bindings {
    private Bindings() {
    }

    public static boolean windows() {
        return System.getProperty("os.name", "").startsWith("Windows");
    }

    /** The binding in use: "sim" or "real". */
    public static String mode() {
        String m = System.getProperty("veloq.iocp.binding", "").trim();
        if (m.isEmpty()) {
            m = windows() ? "real" : "sim";
        }
        if (!m.equals("sim") && !m.equals("real")) {
            throw new IllegalStateException("veloq.iocp.binding must be 'sim' or 'real', got '" + m + "'");
        }
        if (m.equals("real") && !windows()) {
            throw new IllegalStateException("veloq.iocp.binding=real needs Windows; this is "
                    + System.getProperty("os.name") + ". Use -Dveloq.iocp.binding=sim (the default here)");
        }
        return m;
    }

    public static boolean simulated() {
        return mode().equals("sim");
    }

    /**
     * A provider for the tests: the service itself with the real bindings, or one wired to a fresh simulator
     * (returned through {@code sim[0]} when the caller wants to inspect it).
     */
    public static IocpDriverProvider provider(SimWin32[] sim) {
        if (!simulated()) {
            return new IocpDriverProvider();
        }
        SimWin32 s = new SimWin32();
        if (sim != null) {
            sim[0] = s;
        }
        return IocpDriverProvider.withBinding(() -> s, "the IOCP simulator (loopback sockets)");
    }

    /** A provider wired to {@code sim} (simulator-only tests). */
    public static IocpDriverProvider provider(SimWin32 sim) {
        return IocpDriverProvider.withBinding(() -> sim, "the IOCP simulator (loopback sockets)");
    }
}
