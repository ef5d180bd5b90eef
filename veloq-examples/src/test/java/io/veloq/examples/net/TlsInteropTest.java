package io.veloq.examples.net;

import io.veloq.api.IoRuntime;
import io.veloq.api.net.TcpListener;
import io.veloq.api.net.TcpStream;
import io.veloq.api.net.UnixStream;
import io.veloq.api.tls.TlsConfig;
import io.veloq.api.tls.TlsStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TlsStream} against other TLS stacks on the io_uring driver: OpenSSL's {@code s_server} and
 * {@code s_client}, and {@code curl}, with a self-signed certificate made for the test. Veloq as server and as
 * client, ALPN seen by both sides, close_notify both ways, a TLS 1.3 key update, a TLS 1.2 renegotiation
 * refused, and 16 MiB each way with a checksum.
 */
class TlsInteropTest {
    private static final long WAIT = 60;
    private static final int SIXTEEN_MIB = 16 << 20;
    private static TlsFixtures certs;
    private static byte[] data;

    @BeforeAll
    static void setUp() throws Exception {
        certs = TlsFixtures.create();
        data = new byte[SIXTEEN_MIB];
        new Random(16).nextBytes(data);
    }

    @AfterAll
    static void tearDown() throws IOException {
        certs.close();
    }

    @BeforeEach
    void needsTheKernel() {
        TestDrivers.assumeKernel("openssl and curl talk to real sockets");
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** A process with its output (stdout and stderr together) collected in the background. */
    static final class Tool implements AutoCloseable {
        final Process process;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Thread reader;

        /** Collects stdout and stderr together, or only stderr when stdout goes to a file. */
        Tool(ProcessBuilder pb) throws IOException {
            boolean stdoutToFile = pb.redirectOutput().type() == ProcessBuilder.Redirect.Type.WRITE;
            pb.redirectErrorStream(!stdoutToFile);
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new AssertionError(pb.command().get(0) + " is needed by this test and could not be started ("
                        + e.getMessage() + "); .ci/run installs it with apt-get", e);
            }
            reader = new Thread(() -> {
                byte[] b = new byte[8192];
                try (InputStream in = stdoutToFile ? process.getErrorStream() : process.getInputStream()) {
                    for (int n; (n = in.read(b)) > 0; ) {
                        synchronized (out) {
                            out.write(b, 0, n);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        String output() {
            synchronized (out) {
                return out.toString(StandardCharsets.ISO_8859_1);
            }
        }

        int waitFor() throws Exception {
            assertTrue(process.waitFor(WAIT, TimeUnit.SECONDS), "still running: " + process.info().commandLine().orElse("?")
                    + "\n" + output());
            reader.join(5000);
            return process.exitValue();
        }

        void waitForOutput(String text) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            while (!output().contains(text)) {
                assertTrue(System.nanoTime() < end && process.isAlive() || output().contains(text),
                        "no '" + text + "' from the tool:\n" + output());
                Thread.sleep(10);
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    private static Tool sServer(Path socket, Path stdout, Path stdin) throws IOException {
        // A path relative to the working directory: OpenSSL 3.0 fails to print an absolute one ("addr_strings").
        List<String> cmd = List.of("openssl", "s_server", "-unix", socket.getFileName().toString(), "-cert", certs.cert.toString(),
                "-key", certs.key.toString(), "-alpn", "h2,http/1.1", "-naccept", "1", "-quiet");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(certs.dir.toFile());
        if (stdout != null) {
            pb.redirectOutput(stdout.toFile());
            pb.redirectError(ProcessBuilder.Redirect.PIPE);
        }
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        return new Tool(pb);
    }

    /**
     * Connects to s_server's Unix socket once it listens. The socket file appears at bind(), before listen(),
     * so a connect in between is refused: retry those, never probe with a connection of our own (s_server
     * takes exactly one, -naccept 1).
     */
    private static UnixStream connectWhenListening(IoRuntime rt, Path p, Tool tool) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (true) {
            assertTrue(tool.process.isAlive(), "s_server ended before it listened on " + p + ":\n" + tool.output());
            if (Files.exists(p)) {
                try {
                    return UnixStream.connect(rt.loop(), UnixDomainSocketAddress.of(p));
                } catch (ConnectException refused) {
                    // bound, not yet listening
                    if (System.nanoTime() > end) {
                        throw new AssertionError("s_server did not listen on " + p + " within " + WAIT + " s:\n"
                                + tool.output(), refused);
                    }
                }
            }
            assertTrue(System.nanoTime() < end, "s_server did not listen on " + p + ":\n" + tool.output());
            Thread.sleep(10);
        }
    }

    @Test
    void veloqClientSendsSixteenMebibytesToOpensslServerAndEndsWithCloseNotify() throws Exception {
        Path sock = certs.dir.resolve("up.sock");
        Path received = certs.dir.resolve("received.bin");
        try (IoRuntime rt = TestDrivers.open("uring");
             Tool server = sServer(sock, received, null)) {
            TlsConfig config = TlsConfig.builder(certs.clientContext()).applicationProtocols("http/1.1", "h2").build();
            try (TlsStream tls = TlsStream.client(connectWhenListening(rt, sock, server), config, "localhost")) {
                tls.handshake();
                assertEquals("h2", tls.applicationProtocol(), "OpenSSL picks by its own preference order");
                OutputStream out = tls.outputStream();
                out.write(data);
                out.flush();
                tls.shutdownOutput(); // close_notify: s_server's read ends cleanly
                assertEquals(-1, tls.inputStream().read(), "s_server answers with its own close_notify");
            }
            assertEquals(0, server.waitFor(), server.output());
            assertFalse(server.output().contains("unexpected eof"), "s_server saw close_notify:\n" + server.output());
            assertArrayEquals(sha256(data), sha256(Files.readAllBytes(received)), "what s_server received");
        } finally {
            Files.deleteIfExists(received);
            Files.deleteIfExists(sock);
        }
    }

    @Test
    void opensslServerSendsSixteenMebibytesToVeloqClientAndEndsWithCloseNotify() throws Exception {
        Path sock = certs.dir.resolve("down.sock");
        Path file = certs.dir.resolve("send.bin");
        Files.write(file, data);
        try (IoRuntime rt = TestDrivers.open("uring");
             Tool server = sServer(sock, null, file)) {
            try (TlsStream tls = TlsStream.client(connectWhenListening(rt, sock, server),
                    TlsConfig.of(certs.clientContext()), "localhost")) {
                byte[] got = tls.inputStream().readAllBytes(); // ends at s_server's close_notify, else it throws
                assertArrayEquals(sha256(data), sha256(got), "what the Veloq client received");
            }
            server.waitFor();
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(sock);
        }
    }

    /** A Veloq TLS server on 127.0.0.1: one thread per connection running {@code handler} on the stream views. */
    static final class VeloqServer implements AutoCloseable {
        final TcpListener listener;
        final int port;
        final List<CompletableFuture<Object>> outcomes = new ArrayList<>();
        final List<TlsStream> streams = new ArrayList<>();
        private final Thread acceptor;

        interface Handler {
            Object serve(TlsStream tls) throws Exception;
        }

        VeloqServer(IoRuntime rt, TlsConfig config, Handler handler) throws IOException {
            listener = TcpListener.bind(rt.loop(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            port = listener.port();
            acceptor = new Thread(() -> {
                while (listener.isOpen()) {
                    TcpStream tcp;
                    try {
                        tcp = listener.accept();
                    } catch (IOException closed) {
                        return;
                    }
                    TlsStream tls = TlsStream.server(tcp, config);
                    CompletableFuture<Object> outcome = new CompletableFuture<>();
                    synchronized (outcomes) {
                        outcomes.add(outcome);
                        streams.add(tls);
                    }
                    Thread t = new Thread(() -> {
                        try {
                            outcome.complete(handler.serve(tls));
                        } catch (Throwable e) {
                            outcome.complete(e);
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return port;
        }

        Object outcome(int i) throws Exception {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            while (true) {
                synchronized (outcomes) {
                    if (outcomes.size() > i) {
                        return outcomes.get(i).get(WAIT, TimeUnit.SECONDS);
                    }
                }
                assertTrue(System.nanoTime() < end, "no connection " + i);
                Thread.sleep(10);
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (outcomes) {
                for (TlsStream s : streams) {
                    s.close();
                }
            }
        }
    }

    /** Reads an HTTP/1.1 request head (to the blank line) from the stream; returns it. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("end of stream inside the request head: " + sb);
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    @Test
    void curlDownloadsAndUploadsSixteenMebibytesOverHttp11() throws Exception {
        TlsConfig config = TlsConfig.builder(certs.serverContext()).applicationProtocols("h2", "http/1.1").build();
        Path down = certs.dir.resolve("curl-down.bin");
        Path up = certs.dir.resolve("curl-up.bin");
        Files.write(up, data);
        try (IoRuntime rt = TestDrivers.open("uring");
             VeloqServer server = new VeloqServer(rt, config, tls -> {
                 InputStream in = tls.inputStream();
                 OutputStream out = tls.outputStream();
                 String head = readHead(in);
                 byte[] body;
                 if (head.startsWith("POST")) {
                     int length = Integer.parseInt(head.replaceAll("(?s).*[Cc]ontent-[Ll]ength: (\\d+).*", "$1"));
                     byte[] upload = in.readNBytes(length);
                     body = (HexFormat.of().formatHex(sha256(upload)) + "\n").getBytes(StandardCharsets.US_ASCII);
                 } else {
                     body = data;
                 }
                 out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                         .getBytes(StandardCharsets.US_ASCII));
                 out.write(body);
                 out.flush();
                 String alpn = tls.applicationProtocol();
                 tls.close(); // close_notify, then the socket
                 return alpn;
             })) {
            String url = "https://localhost:" + server.port() + "/";
            Tool get = new Tool(new ProcessBuilder("curl", "-sS", "-v", "--http1.1", "--cacert", certs.cert.toString(),
                    "-o", down.toString(), url));
            assertEquals(0, get.waitFor(), get.output());
            assertEquals("http/1.1", server.outcome(0), "the Veloq server's view of ALPN");
            assertTrue(get.output().contains("ALPN: server accepted http/1.1"), "curl's view of ALPN:\n" + get.output());
            assertTrue(get.output().contains("TLS alert, close notify"), "curl saw close_notify:\n" + get.output());
            assertArrayEquals(sha256(data), sha256(Files.readAllBytes(down)), "what curl downloaded");

            Tool post = new Tool(new ProcessBuilder("curl", "-sS", "--http1.1", "--cacert", certs.cert.toString(),
                    "--data-binary", "@" + up, "-H", "Content-Type: application/octet-stream", url));
            assertEquals(0, post.waitFor(), post.output());
            assertEquals("http/1.1", server.outcome(1));
            assertTrue(post.output().contains(HexFormat.of().formatHex(sha256(data))),
                    "the server's checksum of curl's upload:\n" + post.output());
        } finally {
            Files.deleteIfExists(down);
            Files.deleteIfExists(up);
        }
    }

    /** Echoes lines until "bye", which it echoes and then closes (close_notify). */
    private static Object lineEcho(TlsStream tls) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(tls.inputStream(), StandardCharsets.UTF_8));
        OutputStream out = tls.outputStream();
        int lines = 0;
        try {
            for (String line; (line = r.readLine()) != null; lines++) {
                out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                if (line.equals("bye")) {
                    break;
                }
            }
        } catch (IOException e) {
            return e;
        }
        tls.close();
        return tls.applicationProtocol() + " " + lines + " lines";
    }

    private static Tool sClient(int port, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-servername", "localhost", "-CAfile", certs.cert.toString(), "-verify_return_error"));
        cmd.addAll(List.of(extra));
        return new Tool(new ProcessBuilder(cmd));
    }

    private static void type(Tool t, String line) throws IOException {
        t.process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        t.process.getOutputStream().flush();
    }

    @Test
    void opensslClientNegotiatesH2UpdatesKeysAndSeesCloseNotify() throws Exception {
        TlsConfig config = TlsConfig.builder(certs.serverContext()).applicationProtocols("h2", "http/1.1").build();
        try (IoRuntime rt = TestDrivers.open("uring");
             VeloqServer server = new VeloqServer(rt, config, TlsInteropTest::lineEcho);
             Tool client = sClient(server.port(), "-alpn", "h2,http/1.1", "-tls1_3")) {
            type(client, "hello");
            client.waitForOutput("hello\n");
            type(client, "K"); // KeyUpdate, asking Veloq to update its keys too
            client.waitForOutput("KEYUPDATE");
            type(client, "after the key update");
            client.waitForOutput("after the key update\n");
            type(client, "bye");
            assertEquals(0, client.waitFor(), client.output());
            assertEquals("h2 2 lines", server.outcome(0), "the Veloq server's view (K is a command, bye ends)");
            String out = client.output();
            assertTrue(out.contains("ALPN protocol: h2"), "s_client's view of ALPN:\n" + out);
            assertTrue(out.contains("Protocol  : TLSv1.3") || out.contains("New, TLSv1.3"), out);
            assertTrue(out.contains("closed"), "s_client saw Veloq's close_notify:\n" + out);
        }
    }

    @Test
    void aTls12RenegotiationFromOpensslIsRefused() throws Exception {
        TlsConfig config = TlsConfig.builder(certs.serverContext()).applicationProtocols("http/1.1").build();
        try (IoRuntime rt = TestDrivers.open("uring");
             VeloqServer server = new VeloqServer(rt, config, TlsInteropTest::lineEcho);
             Tool client = sClient(server.port(), "-tls1_2", "-legacy_renegotiation", "-alpn", "http/1.1")) {
            type(client, "hello");
            client.waitForOutput("hello\n");
            type(client, "R"); // renegotiate
            Object outcome = server.outcome(0);
            assertInstanceOf(SSLHandshakeException.class, outcome, String.valueOf(outcome));
            assertTrue(((Exception) outcome).getMessage().contains("renegotiation refused"), String.valueOf(outcome));
            client.process.getOutputStream().close();
            client.waitFor(); // the connection ended: s_client does not hang
            String out = client.output();
            assertTrue(out.contains("RENEGOTIATING"), out);
            assertTrue(out.contains("Protocol  : TLSv1.2"), out);
        }
    }
}
