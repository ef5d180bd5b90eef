package io.veloq.examples.http;

import io.veloq.examples.echo.Flags;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code ./veloq http-server} was asked for.
 *
 * @param dir            the directory served (its real path; symlinks out of it are refused)
 * @param port           TCP port, 0 for any free one
 * @param bind           the address to listen on; null means {@code ::} (dual stack), or {@code 0.0.0.0}
 *                       where IPv6 is unavailable
 * @param threads        event loops, one per core by default; each has its own listener (SO_REUSEPORT)
 * @param driver         the driver id, or null for the best available
 * @param bufferSize     bytes of each of a connection's two buffers; also the largest response head and
 *                       the chunk a file body is read and sent in
 * @param maxConnections connections per loop (two pooled buffers each); beyond it new ones are closed
 * @param maxHeaderBytes the largest request head (request line and headers); larger gets 431
 * @param maxBodyBytes   the largest request body that is read and dropped; larger gets 413
 * @param idleTimeout    a connection with no request coming in (or a response not being read) for this long
 *                       is closed
 * @param fileCheck      how often cached paths are compared with the disk
 * @param sendFile       send bodies larger than a buffer with {@code SendFile} where the driver has it (else
 *                       they go through the buffers: read, send); not over TLS, whose records are encrypted
 *                       from the buffers
 * @param tls            the certificate and key to serve HTTPS with, or null for plain HTTP
 */
public record HttpServerOptions(Path dir, int port, String bind, int threads, String driver, int bufferSize,
                                int maxConnections, int maxHeaderBytes, long maxBodyBytes, Duration idleTimeout,
                                Duration fileCheck, boolean sendFile, PemIdentity tls) {
    static final Set<String> FLAGS = new LinkedHashSet<>(List.of("dir", "port", "bind", "threads", "driver",
            "buffer-size", "max-conns", "max-header-bytes", "max-body-bytes", "idle-timeout", "file-check", "sendfile",
            "tls-cert", "tls-key"));

    static final String USAGE = """
            usage: veloq http-server --dir DIR [--port 8080] [--threads N] [--bind ADDR] [--driver ID]
                                     [--buffer-size 16384] [--max-conns 1024] [--max-header-bytes 8192]
                                     [--max-body-bytes 65536] [--idle-timeout 30] [--file-check 1]
                                     [--sendfile on] [--tls-cert cert.pem --tls-key key.pem]
              --dir              the directory to serve (GET and HEAD; a directory serves its index.html)
              --port             TCP port (default 8080; 0 picks a free one)
              --threads          event loops, each with its own listener on the port (default: cores)
              --bind             address to listen on (default :: dual stack, or 0.0.0.0 without IPv6)
              --driver           I/O driver (default: the best available)
              --buffer-size      bytes of each of a connection's two buffers (default 16384)
              --max-conns        connections per loop (default 1024)
              --max-header-bytes largest request head, else 431 (default 8192; at most --buffer-size)
              --max-body-bytes   largest request body, read and ignored, else 413 (default 65536)
              --idle-timeout     seconds a connection may stay silent or not read (default 30)
              --file-check       seconds between checks of cached files against the disk (default 1)
              --sendfile         on: bodies larger than a buffer go file -> socket without a copy where the
                                 driver can (io_uring splice, nio transferTo); off: through the buffers
              --tls-cert         serve HTTPS (HTTP/1.1 over TLS 1.2/1.3, ALPN http/1.1) with this PEM certificate
                                 chain; needs --tls-key, an unencrypted PKCS#8 PEM key (openssl req -nodes)
            Ctrl-C or SIGTERM stops it cleanly (exit 0). Exit 2: the port is in use or the address is wrong.""";

    /** Plain HTTP (no TLS). */
    public HttpServerOptions(Path dir, int port, String bind, int threads, String driver, int bufferSize,
                             int maxConnections, int maxHeaderBytes, long maxBodyBytes, Duration idleTimeout,
                             Duration fileCheck, boolean sendFile) {
        this(dir, port, bind, threads, driver, bufferSize, maxConnections, maxHeaderBytes, maxBodyBytes, idleTimeout,
                fileCheck, sendFile, null);
    }

    public HttpServerOptions {
        if (maxHeaderBytes > bufferSize) {
            throw new IllegalArgumentException("max header bytes (" + maxHeaderBytes + ") must not exceed the buffer size ("
                    + bufferSize + "): a request head must fit in a connection's receive buffer");
        }
    }

    /** Defaults for a test: any free port on loopback, short timeouts. */
    public static HttpServerOptions loopback(Path dir, String driver, int threads) {
        return new HttpServerOptions(dir, 0, "127.0.0.1", threads, driver, 16 * 1024, 256, 8192, 64 * 1024,
                Duration.ofSeconds(30), Duration.ofMillis(200), true);
    }

    public HttpServerOptions withIdleTimeout(Duration d) {
        return new HttpServerOptions(dir, port, bind, threads, driver, bufferSize, maxConnections, maxHeaderBytes,
                maxBodyBytes, d, fileCheck, sendFile, tls);
    }

    /** The same options with SendFile for large bodies on or off. */
    public HttpServerOptions withSendFile(boolean on) {
        return new HttpServerOptions(dir, port, bind, threads, driver, bufferSize, maxConnections, maxHeaderBytes,
                maxBodyBytes, idleTimeout, fileCheck, on, tls);
    }

    /** The same, served over TLS with this certificate chain and key (PEM files). */
    public HttpServerOptions withTls(Path cert, Path key) {
        return new HttpServerOptions(dir, port, bind, threads, driver, bufferSize, maxConnections, maxHeaderBytes,
                maxBodyBytes, idleTimeout, fileCheck, sendFile, new PemIdentity(cert, key));
    }

    static HttpServerOptions parse(String[] args) throws Flags.UsageException {
        Flags f = Flags.parse("http-server", args, FLAGS);
        if (f.help()) {
            throw new Flags.UsageException(USAGE);
        }
        String dir = f.string("dir", null);
        if (dir == null) {
            throw new Flags.UsageException("http-server: --dir is required (the directory to serve)");
        }
        int cores = Runtime.getRuntime().availableProcessors();
        int bufferSize = f.integer("buffer-size", 16 * 1024, 1024, 16 << 20);
        int maxHeader = f.integer("max-header-bytes", Math.min(8192, bufferSize), 256, bufferSize);
        String sendFile = f.string("sendfile", "on");
        if (!sendFile.equals("on") && !sendFile.equals("off")) {
            throw new Flags.UsageException("http-server: --sendfile must be on or off, got " + sendFile);
        }
        String cert = f.string("tls-cert", null);
        String key = f.string("tls-key", null);
        if ((cert == null) != (key == null)) {
            throw new Flags.UsageException("http-server: --tls-cert and --tls-key go together (the certificate "
                    + "chain and its private key, PEM files)");
        }
        return new HttpServerOptions(
                Path.of(dir),
                f.integer("port", 8080, 0, 65535),
                f.string("bind", null),
                f.integer("threads", cores, 1, 1024),
                f.string("driver", null),
                bufferSize,
                f.integer("max-conns", 1024, 1, 1 << 20),
                maxHeader,
                f.integer("max-body-bytes", 64 * 1024, 0, Integer.MAX_VALUE),
                Duration.ofMillis((long) (f.decimal("idle-timeout", 30, 0.001) * 1000)),
                Duration.ofMillis((long) (f.decimal("file-check", 1, 0.01) * 1000)),
                sendFile.equals("on"),
                cert == null ? null : new PemIdentity(Path.of(cert), Path.of(key)));
    }
}
