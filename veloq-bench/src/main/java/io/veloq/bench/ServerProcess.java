package io.veloq.bench;

import io.veloq.bench.sys.Env;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An echo server running in its own JVM ({@link ServerMain}), controlled over its stdin/stdout. */
final class ServerProcess implements AutoCloseable {

    /** Loop threads' allocated bytes, all threads' allocated bytes, loop threads' CPU ns (-1: unknown). */
    record Stats(long loopAllocated, long totalAllocated, long loopCpuNanos) {
    }

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final int port;
    private final String info;

    private ServerProcess(Process p, int port, String info) {
        this.process = p;
        this.stdin = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
        this.port = port;
        this.info = info;
    }

    /**
     * Starts {@code server} in a new JVM (pinned to {@code cpu} when not null) and waits until it listens.
     *
     * @throws IOException with the server's own reason when it fails to start
     */
    static ServerProcess start(String server, Integer cpu, List<String> jvmArgs, Path log) throws IOException {
        List<String> cmd = Env.childJvm(cpu, jvmArgs, ServerMain.class.getName(), List.of(server, "0"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    q.add(l);
                }
            } catch (IOException ignored) {
                // process gone
            }
            q.add("EOF");
        }, "server-stdout-" + server);
        reader.setDaemon(true);
        reader.start();
        try {
            String ready = q.poll(60, TimeUnit.SECONDS);
            if (ready == null || !ready.startsWith("READY ")) {
                p.destroyForcibly();
                throw new IOException(server + ": " + (ready == null ? "did not start within 60 s"
                        : ready.startsWith("FAILED ") ? ready.substring(7) : "unexpected output: " + ready)
                        + " (log: " + log + ")");
            }
            int port = -1;
            for (String kv : ready.substring(6).split(" ")) {
                if (kv.startsWith("port=")) {
                    port = Integer.parseInt(kv.substring(5));
                }
            }
            String info = q.poll(10, TimeUnit.SECONDS);
            ServerProcess sp = new ServerProcess(p, port, info != null && info.startsWith("INFO ")
                    ? info.substring(5) : "");
            sp.lines.addAll(q);
            q.clear();
            // keep pumping lines into the instance's queue
            Thread pump = new Thread(() -> {
                try {
                    for (;;) {
                        String l = q.take();
                        sp.lines.add(l);
                        if (l.equals("EOF")) {
                            return;
                        }
                    }
                } catch (InterruptedException ignored) {
                    // done
                }
            }, "server-pump-" + server);
            pump.setDaemon(true);
            pump.start();
            return sp;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    String info() {
        return info;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Asks the server for its allocation/CPU counters. */
    Stats stats() throws IOException {
        stdin.write("stats\n");
        stdin.flush();
        try {
            for (;;) {
                String l = lines.poll(10, TimeUnit.SECONDS);
                if (l == null || l.equals("EOF")) {
                    throw new IOException("server did not answer 'stats'");
                }
                if (l.startsWith("STATS ")) {
                    String[] f = l.substring(6).trim().split(" ");
                    return new Stats(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public void close() {
        try {
            stdin.write("stop\n");
            stdin.flush();
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
