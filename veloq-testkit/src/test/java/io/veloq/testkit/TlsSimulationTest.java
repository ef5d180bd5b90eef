package io.veloq.testkit;

import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.tls.TlsCompleter;
import io.veloq.api.tls.TlsConfig;
import io.veloq.api.tls.TlsStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS between two Veloq endpoints on the simulated network, deterministic and seeded: short reads and writes
 * split records anywhere, completions arrive late and out of order, the submission queue fills; no byte is
 * lost or reordered, the handshake and ALPN complete, close_notify ends the stream both ways, and every
 * buffer comes back. Delegated tasks run inline ({@code Runnable::run}) so the schedule stays on the
 * simulation's one thread.
 */
class TlsSimulationTest {
    private static final InetSocketAddress ADDR = new InetSocketAddress("127.0.0.1", 4433);
    private static Path dir;
    private static SSLContext serverContext;
    private static SSLContext clientContext;

    @BeforeAll
    static void certificate() throws Exception {
        dir = Files.createTempDirectory("veloq-tls-sim");
        Path ks = dir.resolve("ks.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "veloq", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool failed: " + out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store); // the key entry's certificate is the trust anchor
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
        Files.delete(ks);
    }

    @AfterAll
    static void removeCertificate() throws IOException {
        Files.deleteIfExists(dir);
    }

    /** Echoes every record back until the peer's close_notify, then closes (close_notify back). */
    private static void echo(TlsStream tls, FixedBuf buf, CompletableFuture<Long> done) {
        long[] total = {0};
        tls.recv(buf, new TlsCompleter() {
            @Override
            public void onComplete(int n, IOException e) {
                if (e != null) {
                    done.completeExceptionally(e);
                    return;
                }
                if (n == 0) {
                    tls.close((r, x) -> done.complete(total[0]));
                    return;
                }
                total[0] += n;
                TlsCompleter next = this;
                tls.sendAll(buf, (sent, x) -> {
                    if (x != null) {
                        done.completeExceptionally(x);
                        return;
                    }
                    buf.clear();
                    tls.recv(buf, next);
                });
            }
        });
    }

    @Test
    void recordsSurviveShortReadsAndWritesOnEverySeed() {
        byte[] payload = new byte[200_000];
        new Random(99).nextBytes(payload);
        Simulation.forEachSeed(12, FaultPlan.network(), sim -> {
            IoRuntime rt = sim.runtime();
            try (BufPool records = BufPool.allocate(TlsConfig.MIN_RECORD_BUFFER_SIZE, 8)) {
                TlsConfig server = TlsConfig.builder(serverContext).applicationProtocols("h2", "http/1.1")
                        .delegatedTasks(Runnable::run).recordBuffers(records).build();
                TlsConfig client = TlsConfig.builder(clientContext).applicationProtocols("http/1.1")
                        .delegatedTasks(Runnable::run).recordBuffers(records).build();
                TcpListener listener = TcpListener.bind(rt.loop(), ADDR);
                CompletableFuture<TcpStream> accepted = listener.acceptAsync();
                TcpStream tcp = TcpStream.connect(rt.loop(), ADDR);
                TlsStream s = TlsStream.server(sim.await(accepted), server);
                TlsStream c = TlsStream.client(tcp, client, "localhost");

                FixedBuf sbuf = rt.loop().bufPool().lease();
                CompletableFuture<Long> echoed = new CompletableFuture<>();
                echo(s, sbuf, echoed);

                // The client sends the payload in pieces of every size while it reads the echo back.
                FixedBuf out = rt.loop().bufPool().lease();
                FixedBuf in = rt.loop().bufPool().lease();
                ByteArrayOutputStream back = new ByteArrayOutputStream();
                CompletableFuture<Void> endOfStream = new CompletableFuture<>();
                Random sizes = new Random(sim.seed());
                int[] at = {0};
                TlsCompleter[] sender = new TlsCompleter[1];
                sender[0] = (n, e) -> {
                    if (e != null) {
                        endOfStream.completeExceptionally(e);
                        return;
                    }
                    if (at[0] == payload.length) {
                        c.shutdownOutput((r, x) -> { }); // close_notify: the server's recv reads end of stream
                        return;
                    }
                    int k = Math.min(payload.length - at[0], 1 + sizes.nextInt(out.capacity()));
                    out.clear().put(payload, at[0], k);
                    at[0] += k;
                    c.sendAll(out, sender[0]);
                };
                c.recv(in, new TlsCompleter() {
                    @Override
                    public void onComplete(int n, IOException e) {
                        if (e != null) {
                            endOfStream.completeExceptionally(e);
                        } else if (n == 0) {
                            endOfStream.complete(null); // the server's close_notify
                        } else {
                            back.writeBytes(in.getBytes());
                            in.clear();
                            c.recv(in, this);
                        }
                    }
                });
                sender[0].onComplete(0, null);

                sim.await(endOfStream, Duration.ofMinutes(10));
                sim.await(echoed, Duration.ofMinutes(1)); // the server's close: close_notify sent, socket closed
                sim.check(Arrays.equals(payload, back.toByteArray()), () -> "the echo lost or reordered bytes: "
                        + back.size() + " of " + payload.length + " came back");
                assertEquals(payload.length, echoed.join());
                long shortReads = sim.trace().lines().stream().filter(l -> l.contains("short read")).count();
                long shortWrites = sim.trace().lines().stream().filter(l -> l.contains("short write")).count();
                sim.check(shortReads > 0 && shortWrites > 0, () -> "the faults did not split records: " + shortReads
                        + " short reads, " + shortWrites + " short writes");
                assertEquals("http/1.1", c.applicationProtocol());
                assertEquals("http/1.1", s.applicationProtocol());
                sim.await(c.closeAsync());
                listener.close();
                sbuf.release();
                out.release();
                in.release();
                sim.runUntilIdle();
                assertEquals(0, records.outstanding(), "both streams gave their record buffers back");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }
}
