package io.veloq.examples.xdp;

import io.veloq.api.IoRuntime;
import io.veloq.api.xdp.XdpAttach;
import io.veloq.api.xdp.XdpConfig;
import io.veloq.api.xdp.XdpMode;
import io.veloq.api.xdp.XdpSocket;
import io.veloq.examples.echo.Flags;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ./veloq xdp-reflect --iface IF [--queue Q] [--udp-port P] [--attach generic|native]
 * [--mode copy|zero-copy|prefer-zero-copy] [--frames N] [--busy-poll true] [--seconds S]}: a UDP reflector on
 * AF_XDP that prints packets per second each second and stops cleanly on Ctrl-C (program detached, UMEM
 * freed). Exit codes: 0 after a clean stop, 2 when the socket cannot be opened (the message says why and
 * how to fix it), 64 for bad flags.
 */
public final class XdpReflectMain {
    public static final int EXIT_OK = 0;
    public static final int EXIT_OPEN = 2;
    private static final Set<String> FLAGS = Set.of("iface", "queue", "udp-port", "attach", "mode", "frames",
            "busy-poll", "seconds", "batch");
    static final String USAGE = "usage: ./veloq xdp-reflect --iface IF [--queue Q] [--udp-port P] "
            + "[--attach generic|native] [--mode copy|zero-copy|prefer-zero-copy] [--frames N] [--busy-poll true] "
            + "[--batch N] [--seconds S]";

    private XdpReflectMain() {
    }

    public static void main(String[] args) {
        CompletableFuture<Void> stop = new CompletableFuture<>();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread hook = new Thread(() -> {
            stop.complete(null);
            int code;
            try {
                code = exit.get(15, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                System.err.println("xdp-reflect: did not stop within 15 s");
                code = 1;
            } catch (Exception e) {
                code = 1;
            }
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(code);
        }, "xdp-reflect-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int code = 1;
        try {
            code = run(args, System.out, System.err, stop);
        } finally {
            exit.complete(code);
        }
        if (!stop.isDone()) {
            System.exit(code);
        }
    }

    /** Runs the reflector until {@code stop} completes (or {@code --seconds} pass); returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err, CompletableFuture<?> stop) {
        XdpConfig config;
        int seconds;
        int batch;
        try {
            Flags f = Flags.parse("xdp-reflect", args, FLAGS);
            if (f.help()) {
                out.println(USAGE);
                return EXIT_OK;
            }
            if (!f.has("iface")) {
                throw new Flags.UsageException("xdp-reflect: --iface is required\n" + USAGE);
            }
            XdpConfig.Builder b = XdpConfig.builder(f.string("iface", ""))
                    .queue(f.integer("queue", 0, 0, 1 << 16))
                    .udpPort(f.integer("udp-port", 0, 0, 65535))
                    .frames(4096, f.integer("frames", 4096, 64, 16384))
                    .busyPoll(Boolean.parseBoolean(f.string("busy-poll", "false")));
            b.attach(switch (f.string("attach", "generic")) {
                case "generic" -> XdpAttach.GENERIC;
                case "native" -> XdpAttach.NATIVE;
                default -> throw new Flags.UsageException("xdp-reflect: --attach must be generic or native");
            });
            b.mode(switch (f.string("mode", "copy")) {
                case "copy" -> XdpMode.COPY;
                case "zero-copy" -> XdpMode.ZERO_COPY;
                case "prefer-zero-copy" -> XdpMode.PREFER_ZERO_COPY;
                default -> throw new Flags.UsageException("xdp-reflect: --mode must be copy, zero-copy or prefer-zero-copy");
            });
            seconds = f.integer("seconds", 0, 0, Integer.MAX_VALUE);
            batch = f.integer("batch", 64, 1, 4096);
            config = b.build();
        } catch (Flags.UsageException | IllegalArgumentException e) {
            err.println(e.getMessage());
            return Flags.EXIT_USAGE;
        }
        try (IoRuntime rt = IoRuntime.open()) {
            XdpSocket xsk;
            try {
                xsk = XdpSocket.open(rt.loop(), config);
            } catch (IOException | UnsupportedOperationException e) {
                String m = e.getMessage();
                if (config.mode() == XdpMode.ZERO_COPY && m != null && m.contains("XdpMode.COPY")) {
                    m += " (on the command line: --mode copy, or --mode prefer-zero-copy)";
                }
                err.println("xdp-reflect: " + m);
                return EXIT_OPEN;
            }
            XdpReflector reflector = new XdpReflector(xsk, batch);
            try {
                rt.loop().execute(reflector::start);
                out.println("xdp-reflect: reflecting UDP" + (config.udpPort() == 0 ? "" : " to port " + config.udpPort())
                        + " on " + config.iface() + " queue " + config.queue() + " (" + xsk.mode() + " mode, "
                        + config.attach() + " attach, driver " + rt.driverId() + "); Ctrl-C stops");
                out.flush();
                long last = 0;
                long start = System.nanoTime();
                for (int s = 1; seconds == 0 || s <= seconds; s++) {
                    long due = start + s * 1_000_000_000L;
                    try {
                        stop.get(Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
                        break;
                    } catch (TimeoutException tick) {
                        long now = reflector.reflected();
                        out.println("xdp-reflect: " + (now - last) + " packets/s (" + now + " reflected, "
                                + reflector.dropped() + " dropped)");
                        out.flush();
                        last = now;
                    } catch (Exception e) {
                        break;
                    }
                }
                CompletableFuture<Void> stopped = new CompletableFuture<>();
                rt.loop().execute(() -> {
                    reflector.stop();
                    stopped.complete(null);
                });
                stopped.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                err.println("xdp-reflect: " + e);
            } finally {
                xsk.close();
            }
            out.println("xdp-reflect: stopped after " + reflector.reflected() + " packets; XDP program detached, UMEM freed");
            return EXIT_OK;
        }
    }
}
