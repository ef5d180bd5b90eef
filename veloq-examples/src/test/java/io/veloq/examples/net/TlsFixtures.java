package io.veloq.examples.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for {@code localhost} / 127.0.0.1, made with the {@code openssl} command line
 * in a temporary directory (PEM for openssl and curl, PKCS#12 for the JDK), and the JDK contexts that use it.
 */
public final class TlsFixtures implements AutoCloseable {
    static final String PASSWORD = "changeit";

    final Path dir;
    public final Path cert;
    public final Path key;
    final Path keystore;

    private TlsFixtures(Path dir) {
        this.dir = dir;
        this.cert = dir.resolve("cert.pem");
        this.key = dir.resolve("key.pem");
        this.keystore = dir.resolve("keystore.p12");
    }

    public static TlsFixtures create() throws Exception {
        TlsFixtures f = new TlsFixtures(Files.createTempDirectory("veloq-tls"));
        run(f.dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f.key.toString(), "-out", f.cert.toString(), "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        run(f.dir, "openssl", "pkcs12", "-export", "-in", f.cert.toString(), "-inkey", f.key.toString(),
                "-out", f.keystore.toString(), "-passout", "pass:" + PASSWORD, "-name", "veloq");
        return f;
    }

    /** Runs a command to completion; fails with its output if it exits non-zero or cannot start. */
    static String run(Path dir, String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd[0] + " is needed by this test and could not be started (" + e.getMessage()
                    + "); .ci/run installs it with apt-get", e);
        }
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
        return out.toString();
    }

    /** The server's context: the key and certificate, TLS 1.2 and 1.3. */
    public SSLContext serverContext() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kmf.getKeyManagers(), null, null);
        return c;
    }

    /** A client context that trusts exactly the test certificate. */
    public SSLContext clientContext() throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        try (InputStream in = Files.newInputStream(cert)) {
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            ts.setCertificateEntry("veloq", c);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    @Override
    public void close() throws IOException {
        for (Path p : List.of(cert, key, keystore)) {
            Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }
}
