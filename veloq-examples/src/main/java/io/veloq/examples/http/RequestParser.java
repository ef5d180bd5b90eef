package io.veloq.examples.http;

/**
 * Parses one HTTP/1.1 request head (request line and header fields, RFC 9112) out of a byte array, in
 * place and without allocating: the results are plain fields, overwritten by the next {@link #parse}. One
 * parser per event loop; loop thread only.
 *
 * <p>It keeps what a static file server needs: the method (GET, HEAD or another token), the path of the
 * target (query and fragment cut off, still percent-encoded), the version, whether the client asked to
 * close, and the request body's framing ({@code Content-Length}; {@code Transfer-Encoding} is refused). It
 * is strict where leniency lets requests be smuggled: a header name must be a token with no space before the
 * colon, folded lines are refused, {@code Content-Length} must be digits and agree with itself, and it may
 * not come with {@code Transfer-Encoding}.
 */
final class RequestParser {
    /** {@link #parse} result: the head is not complete yet, read more. */
    static final int INCOMPLETE = -1;
    /** {@link #parse} result: a well-formed head. */
    static final int OK = 0;

    enum Method { GET, HEAD, OTHER }

    private static final boolean[] TOKEN = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private static final byte[] HOST = ascii("host");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");

    // ---- results of the last parse ----
    /** Bytes of the head, empty lines before it and the blank line after it included. */
    int headLength;
    Method method;
    /** The target's path, {@code [pathStart, pathEnd)} of the parsed array: starts with '/'. */
    int pathStart;
    int pathEnd;
    boolean http11;
    /** The connection ends after the response: {@code Connection: close}, or HTTP/1.0 without keep-alive. */
    boolean close;
    /** The request body's length (0 when none). */
    long contentLength;
    /** {@code Transfer-Encoding} was present: this server does not decode request bodies it cannot size. */
    boolean transferEncoding;
    /** Why the request was refused, for logs and tests; null when none. */
    String problem;

    /**
     * Parses the head at {@code b[from, to)}, at most {@code maxHead} bytes of it.
     *
     * @return {@link #OK}, {@link #INCOMPLETE}, or the status to answer with: 400 (malformed), 431 (head
     *     larger than {@code maxHead}), 505 (HTTP version other than 1.0 and 1.1)
     */
    int parse(byte[] b, int from, int to, int maxHead) {
        problem = null;
        int start = from;
        // RFC 9112 2.2: ignore empty lines before the request line.
        while (start < to && (b[start] == '\r' || b[start] == '\n')) {
            start++;
        }
        if (start - from > 8) {
            return fail(400, "empty lines before the request line");
        }
        int limit = Math.min(to, from + maxHead);
        int end = endOfHead(b, start, limit);
        if (end < 0) {
            return to - from >= maxHead ? fail(431, "request head larger than " + maxHead + " bytes") : INCOMPLETE;
        }
        headLength = end - from;
        method = null;
        http11 = false;
        close = false;
        contentLength = 0;
        transferEncoding = false;

        // request-line = method SP request-target SP HTTP-version CRLF
        int p = start;
        int m = p;
        while (p < end && TOKEN[b[p] & 0xff]) {
            p++;
        }
        if (p == m || p >= end || b[p] != ' ') {
            return fail(400, "malformed request line (method)");
        }
        method = is(b, m, p, "GET") ? Method.GET : is(b, m, p, "HEAD") ? Method.HEAD : Method.OTHER;
        int t = ++p;
        while (p < end && b[p] > ' ' && b[p] != 0x7f) {
            p++;
        }
        if (p == t || p >= end || b[p] != ' ') {
            return fail(400, "malformed request line (target)");
        }
        int status = target(b, t, p);
        if (status != OK) {
            return status;
        }
        int v = ++p;
        int eol = lineEnd(b, v, end);
        int vEnd = eol > v && b[eol - 1] == '\r' ? eol - 1 : eol;
        if (vEnd - v != 8 || !is(b, v, v + 5, "HTTP/") || !digit(b[v + 5]) || b[v + 6] != '.' || !digit(b[v + 7])) {
            return fail(400, "malformed request line (version)");
        }
        if (b[v + 5] != '1' || b[v + 7] > '1') {
            return fail(505, "HTTP version " + (char) b[v + 5] + "." + (char) b[v + 7] + " is not supported");
        }
        http11 = b[v + 7] == '1';
        boolean keepAlive = false;
        boolean host = false;
        boolean sawLength = false;

        // header-field = field-name ":" OWS field-value OWS
        p = eol + 1;
        while (p < end) {
            int le = lineEnd(b, p, end);
            int lineEnd = le > p && b[le - 1] == '\r' ? le - 1 : le;
            if (lineEnd == p) {
                break; // the blank line
            }
            if (b[p] == ' ' || b[p] == '\t') {
                return fail(400, "folded header line (obs-fold)");
            }
            int n = p;
            while (n < lineEnd && TOKEN[b[n] & 0xff]) {
                n++;
            }
            if (n == p || n >= lineEnd || b[n] != ':') {
                return fail(400, "malformed header field name");
            }
            int vs = n + 1;
            int ve = lineEnd;
            while (vs < ve && (b[vs] == ' ' || b[vs] == '\t')) {
                vs++;
            }
            while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
                ve--;
            }
            for (int i = vs; i < ve; i++) {
                int c = b[i] & 0xff;
                if ((c < ' ' && c != '\t') || c == 0x7f) {
                    return fail(400, "control character in a header value");
                }
            }
            if (nameIs(b, p, n, HOST)) {
                if (host) {
                    return fail(400, "more than one Host header");
                }
                host = true;
            } else if (nameIs(b, p, n, CONNECTION)) {
                close |= hasToken(b, vs, ve, CLOSE);
                keepAlive |= hasToken(b, vs, ve, KEEP_ALIVE);
            } else if (nameIs(b, p, n, CONTENT_LENGTH)) {
                long len = digits(b, vs, ve);
                if (len < 0 || (sawLength && len != contentLength)) {
                    return fail(400, "invalid Content-Length");
                }
                sawLength = true;
                contentLength = len;
            } else if (nameIs(b, p, n, TRANSFER_ENCODING)) {
                transferEncoding = true;
            }
            p = le + 1;
        }
        if (transferEncoding && sawLength) {
            return fail(400, "both Transfer-Encoding and Content-Length");
        }
        if (http11 && !host) {
            return fail(400, "HTTP/1.1 request without a Host header");
        }
        if (!http11 && !keepAlive) {
            close = true;
        }
        return OK;
    }

    /** Sets {@link #pathStart}/{@link #pathEnd} from an origin-form or absolute-form target. */
    private int target(byte[] b, int t, int e) {
        int p = t;
        if (b[p] != '/') {
            // absolute-form (RFC 9112 3.2.2): http://authority/path; servers must accept it.
            int scheme = is(b, p, Math.min(e, p + 7), "http://") ? 7 : is(b, p, Math.min(e, p + 8), "https://") ? 8 : -1;
            if (scheme < 0) {
                return fail(400, "request target is neither a path nor an absolute http URI");
            }
            p += scheme;
            while (p < e && b[p] != '/' && b[p] != '?' && b[p] != '#') {
                p++;
            }
            if (p == e || b[p] != '/') {
                return fail(400, "absolute URI without a path");
            }
        }
        int q = p;
        while (q < e && b[q] != '?' && b[q] != '#') {
            q++;
        }
        pathStart = p;
        pathEnd = q;
        return OK;
    }

    /** Index just past the blank line that ends the head, or -1. Accepts CRLF and bare LF line ends. */
    private static int endOfHead(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                int j = i + 1;
                if (j < to && b[j] == '\n') {
                    return j + 1;
                }
                if (j + 1 < to && b[j] == '\r' && b[j + 1] == '\n') {
                    return j + 2;
                }
            }
        }
        return -1;
    }

    /** Index of the '\n' ending the line at {@code p} (there always is one before {@code end}). */
    private static int lineEnd(byte[] b, int p, int end) {
        while (p < end && b[p] != '\n') {
            p++;
        }
        return p;
    }

    private int fail(int status, String why) {
        problem = why;
        return status;
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** The non-negative decimal number in {@code [s, e)}, or -1 if it is not one (or overflows). */
    private static long digits(byte[] b, int s, int e) {
        if (s == e || e - s > 18) {
            return -1;
        }
        long v = 0;
        for (int i = s; i < e; i++) {
            if (!digit(b[i])) {
                return -1;
            }
            v = v * 10 + (b[i] - '0');
        }
        return v;
    }

    private static boolean is(byte[] b, int s, int e, String ascii) {
        if (e - s != ascii.length()) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (b[s + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Case-insensitive comparison with a lower-case name. */
    private static boolean nameIs(byte[] b, int s, int e, byte[] lower) {
        if (e - s != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            if ((b[s + i] | 0x20) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    /** True when the comma-separated list in {@code [s, e)} holds {@code lower}, in any case. */
    private static boolean hasToken(byte[] b, int s, int e, byte[] lower) {
        int i = s;
        while (i < e) {
            while (i < e && (b[i] == ' ' || b[i] == '\t' || b[i] == ',')) {
                i++;
            }
            int ts = i;
            while (i < e && b[i] != ',' && b[i] != ' ' && b[i] != '\t') {
                i++;
            }
            if (nameIs(b, ts, i, lower)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
