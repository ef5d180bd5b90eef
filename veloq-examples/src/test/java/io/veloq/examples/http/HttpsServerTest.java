package io.veloq.examples.http;

import io.veloq.examples.net.TestDrivers;
import io.veloq.examples.net.TlsFixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./veloq http-server --tls-cert --tls-key}: HTTPS on the io_uring driver against curl and
 * the JDK's {@code SSLSocket}, with a self-signed certificate made by openssl. Every test ends with every
 * connection closed and every pooled buffer back, TLS record buffers included.
 */
class HttpsServerTest {
    private static TlsFixtures certs;
    @TempDir
    Path tmp;
    Path site;
    byte[] big;
    HttpServer server;

    @BeforeAll
    static void certificates() throws Exception {
        certs = TlsFixtures.create();
    }

    @AfterAll
    static void removeCertificates() throws IOException {
        certs.close();
    }

    @BeforeEach
    void site() throws Exception {
        HttpServerTest.assumeKernel(); // as HttpServerTest: the nio driver has no ReadFixed for the file bodies
        site = Files.createDirectories(tmp.resolve("site"));
        big = new byte[16 << 20];
        new Random(16).nextBytes(big);
        Files.write(site.resolve("big.bin"), big);
        Files.writeString(site.resolve("index.html"), "<h1>hello over TLS</h1>\n");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            HttpStats s = server.stop();
            assertEquals(0, s.buffersOutstanding(), "every pooled and TLS record buffer back: " + s);
            assertEquals(0, s.openFiles(), "every file descriptor closed: " + s);
            assertEquals(0, s.open(), "every connection closed: " + s);
        }
    }

    private HttpServer start(Duration idle) throws Exception {
        server = HttpServer.start(HttpServerOptions.loopback(site, "uring", 2).withIdleTimeout(idle)
                .withTls(certs.cert, certs.key));
        return server;
    }

    private String url(String path) {
        return "https://localhost:" + server.port() + path;
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void curlGetsFilesOverHttpsOnOneKeptAliveConnection() throws Exception {
        start(Duration.ofSeconds(30));
        Path got1 = tmp.resolve("got1.bin");
        Path got2 = tmp.resolve("got2.bin");
        Path index = tmp.resolve("index.html");
        String out;
        try {
            out = HttpClient.run(HttpClient.curl("-v", "--cacert", certs.cert.toString(), "--http1.1",
                    "-w", "%{http_code} %{size_download} %{num_connects}\\n",
                    "-o", got1.toString(), url("/big.bin"), "-o", got2.toString(), url("/big.bin"),
                    "-o", index.toString(), url("/")), 120);
        } catch (AssertionError e) {
            throw new AssertionError("server: " + server.stats() + "\n" + e.getMessage(), e);
        }
        assertTrue(out.contains("200 " + big.length + " 1\n"), out);
        assertTrue(out.contains("200 " + big.length + " 0\n"), "the second transfer reuses the connection: " + out);
        assertTrue(out.lines().anyMatch(l -> l.contains("ALPN") && l.contains("accepted") && l.contains("http/1.1")),
                "ALPN agreed on http/1.1: " + out);
        assertTrue(out.contains("TLSv1.3"), out);
        String expected = sha256(big);
        assertEquals(expected, sha256(Files.readAllBytes(got1)), "every byte of the 16 MiB file, first time");
        assertEquals(expected, sha256(Files.readAllBytes(got2)), "and the second time");
        assertEquals("<h1>hello over TLS</h1>\n", Files.readString(index));
        HttpStats s = server.stats();
        assertEquals(1, s.accepted());
        assertEquals(3, s.responses());
        assertEquals(0, s.errorResponses());
        // and TLS 1.2 too
        String w = HttpClient.run(HttpClient.curl("--cacert", certs.cert.toString(), "--tlsv1.2", "--tls-max", "1.2",
                "-o", got1.toString(), "-w", "%{http_code} %{size_download}", url("/big.bin")), 120);
        assertEquals("200 " + big.length, w);
        assertEquals(expected, sha256(Files.readAllBytes(got1)), "every byte over TLS 1.2");
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateIsRefusedAndTheServerGoesOn() throws Exception {
        start(Duration.ofSeconds(30));
        List<String> untrusting = HttpClient.curl("-o", "/dev/null", url("/index.html"));
        AssertionError refused = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> HttpClient.run(untrusting, 30));
        assertTrue(refused.getMessage().contains("exited 60"), "curl's 'peer certificate cannot be authenticated': "
                + refused.getMessage());
        HttpServerTest.waitFor(() -> server.stats().connectionErrors() == 1, () -> "the failed handshake counted: "
                + server.stats());
        assertEquals("200", HttpClient.run(HttpClient.curl("--cacert", certs.cert.toString(), "-o", "/dev/null",
                "-w", "%{http_code}", url("/index.html")), 30));
    }

    @Test
    void aClientSilentInTheHandshakeIsDroppedAfterTheIdleTimeout() throws Exception {
        start(Duration.ofMillis(300));
        try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            silent.setSoTimeout(30_000);
            long t0 = System.nanoTime();
            assertEquals(-1, silent.getInputStream().read(), "the server closes a connection that never says hello");
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(250), "not before the idle timeout");
        }
        HttpServerTest.waitFor(() -> server.stats().timeouts() == 1, () -> "counted as an idle timeout: " + server.stats());
    }

    @Test
    void stopsWithTlsConnectionsOpenAndTheClientsSeeCloseNotify() throws Exception {
        start(Duration.ofSeconds(30));
        List<SSLSocket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                SSLSocket c = (SSLSocket) certs.clientContext().getSocketFactory()
                        .createSocket(InetAddress.getLoopbackAddress(), server.port());
                clients.add(c);
                c.setSoTimeout(30_000);
                c.getOutputStream().write("GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String head = readHead(c.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200"), head);
                assertEquals("<h1>hello over TLS</h1>\n", new String(c.getInputStream().readNBytes(24),
                        StandardCharsets.US_ASCII));
            }
            // Half a request waiting in one connection, a handshake not yet begun on another.
            clients.get(0).getOutputStream().write("GET /index.html HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            try (Socket bare = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                HttpServerTest.waitFor(() -> server.stats().accepted() == 7, () -> "accepted: " + server.stats());
                HttpStats s = server.stop();
                assertEquals(7, s.accepted());
                assertEquals(6, s.responses());
                for (SSLSocket c : clients) {
                    assertEquals(-1, c.getInputStream().read(), "close_notify: a clean end of stream, not a reset");
                }
                byte[] rest = bare.getInputStream().readAllBytes(); // to end of stream
                assertTrue(rest.length == 0 || rest[0] == 21, "at most a TLS alert record to a client that never "
                        + "said hello: " + HexFormat.of().formatHex(rest));
            }
        } finally {
            for (SSLSocket c : clients) {
                c.close();
            }
        }
    }

    @Test
    void anErrorResponseOverTlsEndsWithCloseNotifyAfterTheClientIsDone() throws Exception {
        start(Duration.ofSeconds(30));
        try (SSLSocket c = (SSLSocket) certs.clientContext().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), server.port())) {
            c.setSoTimeout(30_000);
            c.getOutputStream().write("NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String head = readHead(c.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 400") && head.contains("Connection: close"), head);
            // The server sent close_notify after the response (lingering close): its body, then end of stream.
            byte[] rest = c.getInputStream().readAllBytes();
            assertTrue(new String(rest, StandardCharsets.US_ASCII).length() < 1024, "the 400 body, then end of stream");
            c.getOutputStream().write("ignored".getBytes(StandardCharsets.US_ASCII)); // still read (and dropped)
            c.shutdownOutput(); // our close_notify: the server closes
        }
        HttpServerTest.waitFor(() -> server.stats().open() == 0, () -> "the connection closed: " + server.stats());
        assertEquals(1, server.stats().errorResponses());
    }

    @Test
    void commandLine() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        CompletableFuture<Void> now = CompletableFuture.completedFuture(null);
        String dir = site.toString();
        assertEquals(64, HttpServerMain.serve(new String[] {"--dir", dir, "--tls-cert", certs.cert.toString()}, o, e, now));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--tls-cert and --tls-key go together"), err.toString());
        Path rsaPkcs1 = tmp.resolve("pkcs1.pem");
        Files.writeString(rsaPkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertEquals(64, HttpServerMain.serve(new String[] {"--dir", dir, "--tls-cert", certs.cert.toString(),
            "--tls-key", rsaPkcs1.toString()}, o, e, now));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("PKCS#1/SEC1 key")
                && err.toString(StandardCharsets.UTF_8).contains("openssl pkcs8 -topk8 -nocrypt"), err.toString());
        assertEquals(64, HttpServerMain.serve(new String[] {"--dir", dir, "--tls-cert", tmp.resolve("none.pem").toString(),
            "--tls-key", certs.key.toString()}, o, e, now));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no such file"), err.toString());
        assertEquals(0, HttpServerMain.serve(new String[] {"--dir", dir, "--port", "0", "--bind", "127.0.0.1",
            "--driver", TestDrivers.best(), "--tls-cert", certs.cert.toString(), "--tls-key", certs.key.toString()},
            o, e, now));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains(", HTTPS)") && printed.contains("0 buffers outstanding, 0 files open"), printed);
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("end of stream in a response head: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
