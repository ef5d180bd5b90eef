package io.veloq.bench.nio2;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.shell.ProcessShellCommandFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A server for {@link Nio2Bench}, in its own JVM (the parent picks the NIO.2 provider with the system
 * property): {@code tomcat-nio2} / {@code tomcat-nio} (Tomcat with the NIO2 or NIO connector, one small
 * servlet) or {@code sshd DIR} (MINA SSHD, commands as processes, keys in DIR). Prints
 * {@code READY port=N provider=...}, serves until {@code stop} (or end of input) on stdin.
 */
public final class Nio2Server {
    static final byte[] BODY = "hello from the bench servlet\n".getBytes(StandardCharsets.US_ASCII);

    private Nio2Server() {
    }

    /** The servlet: a small text body per GET. */
    public static final class Hello extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.setContentLength(BODY.length);
            resp.getOutputStream().write(BODY);
        }
    }

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        AutoCloseable server;
        int port;
        Path base = Files.createTempDirectory("veloq-nio2-bench");
        switch (kind) {
            case "tomcat-nio2", "tomcat-nio" -> {
                Tomcat tomcat = new Tomcat();
                tomcat.setBaseDir(base.toString());
                Connector c = new Connector(kind.equals("tomcat-nio2") ? "org.apache.coyote.http11.Http11Nio2Protocol"
                        : "org.apache.coyote.http11.Http11NioProtocol");
                c.setPort(0);
                c.setProperty("address", "127.0.0.1");
                tomcat.getService().addConnector(c);
                tomcat.setConnector(c);
                Context ctx = tomcat.addContext("", base.toString());
                Tomcat.addServlet(ctx, "hello", new Hello());
                ctx.addServletMappingDecoded("/", "hello");
                tomcat.start();
                port = c.getLocalPort();
                server = () -> {
                    tomcat.stop();
                    tomcat.destroy();
                };
            }
            case "sshd" -> {
                Path keys = Path.of(args[1]);
                SshServer sshd = SshServer.setUpDefaultServer();
                sshd.setHost("127.0.0.1");
                sshd.setPort(0);
                sshd.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(keys.resolve("hostkey.ser")));
                sshd.setPublickeyAuthenticator(new AuthorizedKeysAuthenticator(keys.resolve("authorized_keys")));
                sshd.setCommandFactory(ProcessShellCommandFactory.INSTANCE);
                sshd.start();
                port = sshd.getPort();
                server = () -> sshd.stop(true);
            }
            default -> throw new IllegalArgumentException("unknown server " + kind);
        }
        System.out.println("READY port=" + port + " provider=" + AsynchronousChannelProvider.provider().getClass().getName());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("stop")) {
            // wait
        }
        server.close();
        System.exit(0);
    }
}
