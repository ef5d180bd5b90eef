package io.veloq.examples.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The request-head parser on its own: what it accepts, what it refuses, and with which status. */
class RequestParserTest {
    private final RequestParser p = new RequestParser();

    private int parse(String head) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        return p.parse(b, 0, b.length, 8192);
    }

    private String path(String head) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(RequestParser.OK, p.parse(b, 0, b.length, 8192), p.problem);
        return new String(b, p.pathStart, p.pathEnd - p.pathStart, StandardCharsets.ISO_8859_1);
    }

    @Test
    void aPlainGet() {
        String h = "GET /a/b.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\nGET /next";
        assertEquals("/a/b.txt", path(h));
        assertEquals(RequestParser.Method.GET, p.method);
        assertTrue(p.http11);
        assertFalse(p.close);
        assertEquals(h.indexOf("GET /next"), p.headLength, "the head ends after the blank line");
    }

    @Test
    void targets() {
        assertEquals("/x", path("GET /x?q=1 HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals("/x", path("GET /x#f HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals("/p/q", path("GET http://host:80/p/q?z HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("GET http://host HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("GET ftp://host/x HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    @Test
    void incompleteUntilTheBlankLine() {
        assertEquals(RequestParser.INCOMPLETE, parse("GET / HTTP/1.1\r\nHost: h\r\n"));
        assertEquals(RequestParser.INCOMPLETE, parse("GET / HTTP/1.1\r\nHost: h\r\n\r"));
        assertEquals(RequestParser.INCOMPLETE, parse(""));
        assertEquals(RequestParser.OK, parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), "empty lines first are skipped");
        assertEquals(RequestParser.OK, parse("GET / HTTP/1.1\nHost: h\n\n"), "bare LF line ends");
    }

    @Test
    void headerSizeLimitIs431() {
        byte[] b = ("GET / HTTP/1.1\r\nHost: h\r\nX: " + "a".repeat(300)).getBytes(StandardCharsets.US_ASCII);
        assertEquals(RequestParser.INCOMPLETE, p.parse(b, 0, b.length, 8192));
        assertEquals(431, p.parse(b, 0, b.length, 256));
    }

    @Test
    void methodsAndVersions() {
        parse("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(RequestParser.Method.HEAD, p.method);
        parse("PATCH / HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(RequestParser.Method.OTHER, p.method);
        assertEquals(RequestParser.OK, parse("GET / HTTP/1.0\r\n\r\n"), "HTTP/1.0 needs no Host");
        assertTrue(p.close, "HTTP/1.0 closes by default");
        parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assertFalse(p.close);
        parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, CLOSE\r\n\r\n");
        assertTrue(p.close);
        assertEquals(505, parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n"));
        assertEquals(505, parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("GET / http/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"));
        assertEquals(400, parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    @Test
    void bodyFraming() {
        parse("GET / HTTP/1.1\r\nHost: h\r\ncontent-length: 12\r\n\r\n");
        assertEquals(12, p.contentLength);
        assertEquals(RequestParser.OK, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1,2\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"));
        assertEquals(RequestParser.OK, parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertTrue(p.transferEncoding);
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"));
    }

    @Test
    void malformedHeaders() {
        assertEquals(400, parse("GET / HTTP/1.1\r\n\r\n"), "no Host");
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), "space before the colon");
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: a\r\n continued\r\n\r\n"), "obs-fold");
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"));
        assertEquals(400, parse("GET / HTTP/1.1\r\nHost: a\r\nX: a\u0001b\r\n\r\n"), "control character");
        assertEquals(RequestParser.OK, parse("GET / HTTP/1.1\r\nHost:a\r\nX:\t v \t\r\n\r\n"), "optional whitespace");
    }
}
