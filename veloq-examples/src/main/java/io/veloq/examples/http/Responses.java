package io.veloq.examples.http;

import java.nio.charset.StandardCharsets;

/**
 * The fixed parts of every response, built once: the error responses' status lines, headers and bodies,
 * and the header lines added per response. Copied into the connection's output buffer, never allocated
 * per request.
 */
final class Responses {
    static final byte[] CRLF = ascii("\r\n");
    static final byte[] CONNECTION_CLOSE = ascii("Connection: close\r\n");
    static final byte[] CONNECTION_KEEP_ALIVE = ascii("Connection: keep-alive\r\n");

    private static final int[] STATUSES = {400, 403, 404, 405, 413, 431, 500, 501, 505};
    private static final byte[][] HEADS = new byte[600][];
    private static final byte[][] BODIES = new byte[600][];

    static {
        for (int s : STATUSES) {
            String body = s + " " + reason(s) + "\n";
            BODIES[s] = ascii(body);
            HEADS[s] = ascii("HTTP/1.1 " + s + " " + reason(s) + "\r\nServer: veloq\r\n"
                    + (s == 405 ? "Allow: GET, HEAD\r\n" : "")
                    + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + body.length() + "\r\n");
        }
    }

    private Responses() {
    }

    /** Status line and headers (without Date, Connection and the blank line) of an error response. */
    static byte[] head(int status) {
        return HEADS[status];
    }

    /** The short text body of an error response. */
    static byte[] body(int status) {
        return BODIES[status];
    }

    static String reason(int status) {
        switch (status) {
            case 200: return "OK";
            case 400: return "Bad Request";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 405: return "Method Not Allowed";
            case 413: return "Content Too Large";
            case 431: return "Request Header Fields Too Large";
            case 500: return "Internal Server Error";
            case 501: return "Not Implemented";
            case 505: return "HTTP Version Not Supported";
            default: throw new IllegalArgumentException("no response for status " + status);
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
