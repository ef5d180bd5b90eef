package io.veloq.examples.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A raw HTTP/1.1 client over a plain socket, for what curl does not let a test control: several requests in
 * one write (pipelining), malformed requests, exact bytes on the wire. Also runs curl and wrk.
 */
final class HttpClient implements AutoCloseable {
    /** One response as read off the wire. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    HttpClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Writes {@code raw} in one write (CRLF line ends are the caller's). */
    HttpClient send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    /** Reads one response; {@code head} says it answers a HEAD (headers only, whatever Content-Length says). */
    Response read(boolean head) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        String statusLine = readLine(line);
        if (statusLine == null) {
            throw new IOException("connection closed before a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].equals("HTTP/1.1")) {
            throw new IOException("bad status line: " + statusLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h; !(h = readLine(line)).isEmpty(); ) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        byte[] body = head ? new byte[0] : in.readNBytes(length);
        if (!head && body.length != length) {
            throw new IOException("body cut short: " + body.length + " of " + length + " bytes");
        }
        return new Response(Integer.parseInt(parts[1]), headers, body);
    }

    Response read() throws IOException {
        return read(false);
    }

    /** True when the server closed the connection: the next read is end of stream (or a reset). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (java.net.SocketException reset) {
            return true;
        }
    }

    /** Bytes available without blocking for up to {@code millis}: 0 proves the server sent nothing more. */
    int pendingAfter(long millis) throws IOException {
        socket.setSoTimeout((int) millis);
        try {
            int b = in.read();
            return b < 0 ? 0 : 1 + in.available();
        } catch (java.net.SocketTimeoutException quiet) {
            return 0;
        } finally {
            socket.setSoTimeout(10_000);
        }
    }

    private String readLine(ByteArrayOutputStream buf) throws IOException {
        buf.reset();
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                String s = buf.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            buf.write(b);
        }
        return buf.size() == 0 ? null : buf.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** Runs a command (curl, wrk) to its end; returns its stdout+stderr, failing on a non-zero exit. */
    static String run(List<String> command, long timeoutSeconds) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " is needed by this test and could not be started (" + e.getMessage()
                    + "); .ci/run installs it: apt-get install " + command.get(0), e);
        }
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
        }
        String s = new String(output, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + s);
        }
        return s;
    }

    static List<String> curl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "60"));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
