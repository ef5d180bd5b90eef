package io.veloq.nio2;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http11.Http11Nio2Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tomcat with its NIO2 connector ({@link Http11Nio2Protocol}) serving a small servlet in a JVM whose
 * NIO.2 provider is Veloq's, under {@code wrk} for 20 s with 64 connections: no socket error, no non-2xx
 * response, then a clean stop (the port refuses connections afterwards).
 */
class TomcatOnVeloqTest {
    static final String BODY = "hello from tomcat on veloq\n";

    @TempDir
    Path base;

    /** A servlet that answers every GET with a small text body. */
    static final class Hello extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getOutputStream().write(BODY.getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Starts Tomcat on 127.0.0.1, a free port, with the given protocol handler class. */
    static Tomcat start(Path base, String protocol) throws Exception {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        Connector connector = new Connector(protocol);
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);
        Context ctx = tomcat.addContext("", base.toString());
        Tomcat.addServlet(ctx, "hello", new Hello());
        ctx.addServletMappingDecoded("/", "hello");
        tomcat.start();
        return tomcat;
    }

    @Test
    void nio2ConnectorServesWrkWithoutErrorsAndStopsCleanly() throws Exception {
        assertInstanceOf(VeloqChannelProvider.class, AsynchronousChannelProvider.provider(),
                "this test runs with Veloq as the JVM's NIO.2 provider (see the pom)");
        long before = ((VeloqChannelProvider) AsynchronousChannelProvider.provider()).channelsOpened();
        Tomcat tomcat = start(base, Http11Nio2Protocol.class.getName());
        int port = tomcat.getConnector().getLocalPort();
        String out = wrk(port, 20, 64);
        System.out.println(out);
        Matcher m = Pattern.compile("(\\d+) requests in").matcher(out);
        assertTrue(m.find(), out);
        long requests = Long.parseLong(m.group(1));
        assertTrue(requests > 1000, "wrk got only " + requests + " responses:\n" + out);
        assertFalse(out.contains("Socket errors"), "socket errors:\n" + out);
        assertFalse(out.contains("Non-2xx"), "non-2xx responses:\n" + out);
        assertTrue(((VeloqChannelProvider) AsynchronousChannelProvider.provider()).channelsOpened() >= before + 64,
                "Tomcat's connections were Veloq channels");
        tomcat.stop();
        tomcat.destroy();
        assertEquals(LifecycleState.DESTROYED, tomcat.getServer().getState());
        assertThrows(ConnectException.class, () -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 2000),
                "the port is closed after stop");
    }

    /** Runs wrk against {@code /} and returns its report. */
    static String wrk(int port, int seconds, int connections) throws Exception {
        List<String> cmd = List.of("wrk", "-t2", "-c" + connections, "-d" + seconds + "s", "--latency",
                "http://127.0.0.1:" + port + "/");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("wrk is missing: install it (apt-get install wrk; .ci/run does)", e);
        }
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(seconds + 60L, TimeUnit.SECONDS), "wrk did not finish:\n" + out);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }
}
