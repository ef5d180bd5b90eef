package io.veloq.nio2;

import org.apache.sshd.common.io.nio2.Nio2ServiceFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.shell.ProcessShellCommandFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.spi.AsynchronousChannelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An unmodified Apache MINA SSHD server (its default NIO.2 I/O) in a JVM whose provider is Veloq's
 * ({@code -Djava.nio.channels.spi.AsynchronousChannelProvider}, set for the {@code *OnVeloqTest} run in the
 * POM), driven by the OpenSSH client: key login, a command, and a 64 MiB random file copied up and back
 * with {@code scp}; the checksums must match. The server's commands run as processes
 * ({@link ProcessShellCommandFactory}), so the server side of {@code scp -O} is the system's {@code scp -t/-f}.
 */
class SshdOnVeloqTest {
    private static final int FILE_BYTES = 64 << 20;

    @TempDir
    static Path dir;
    private static SshServer sshd;
    private static Path key;
    private static long channelsBefore;

    @BeforeAll
    static void startServer() throws Exception {
        assertInstanceOf(VeloqChannelProvider.class, AsynchronousChannelProvider.provider(),
                "this test runs with Veloq as the JVM's NIO.2 provider (see the pom)");
        channelsBefore = provider().channelsOpened();
        key = dir.resolve("id_rsa");
        exec(List.of("ssh-keygen", "-q", "-t", "rsa", "-b", "3072", "-N", "", "-f", key.toString()), 60);
        Path authorized = dir.resolve("authorized_keys");
        Files.copy(dir.resolve("id_rsa.pub"), authorized);
        sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        sshd.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(dir.resolve("hostkey.ser")));
        sshd.setPublickeyAuthenticator(new AuthorizedKeysAuthenticator(authorized));
        sshd.setCommandFactory(ProcessShellCommandFactory.INSTANCE);
        sshd.start();
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (sshd != null) {
            sshd.stop(true);
        }
    }

    private static VeloqChannelProvider provider() {
        return (VeloqChannelProvider) AsynchronousChannelProvider.provider();
    }

    @Test
    void opensshLogsInRunsACommandAndCopies64MiBUpAndBack() throws Exception {
        assertInstanceOf(Nio2ServiceFactory.class, sshd.getIoServiceFactory(), "SSHD uses its NIO.2 transport");
        String out = exec(ssh("echo", "hello-from-veloq"), 60);
        assertTrue(out.contains("hello-from-veloq"), out);

        byte[] data = new byte[FILE_BYTES];
        new SplittableRandom(64).nextBytes(data);
        Path src = dir.resolve("random.bin");
        Files.write(src, data);
        Path remote = dir.resolve("uploaded.bin");
        Path back = dir.resolve("downloaded.bin");
        exec(scp(src.toString(), "tester@127.0.0.1:" + remote), 300);
        exec(scp("tester@127.0.0.1:" + remote, back.toString()), 300);
        String sum = sha256(data);
        assertEquals(sum, sha256(Files.readAllBytes(remote)), "the upload arrived intact");
        assertEquals(sum, sha256(Files.readAllBytes(back)), "the download came back intact");
        assertTrue(provider().channelsOpened() > channelsBefore, "SSHD's connections were Veloq channels");
    }

    private static List<String> common() {
        return List.of("-i", key.toString(), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR");
    }

    private static List<String> ssh(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ssh", "-p", String.valueOf(sshd.getPort())));
        cmd.addAll(common());
        cmd.add("tester@127.0.0.1");
        cmd.addAll(List.of(command));
        return cmd;
    }

    private static List<String> scp(String from, String to) {
        // -O: the classic scp protocol, whose server side is a plain command (scp -t / scp -f).
        List<String> cmd = new ArrayList<>(List.of("scp", "-O", "-P", String.valueOf(sshd.getPort())));
        cmd.addAll(common());
        cmd.add(from);
        cmd.add(to);
        return cmd;
    }

    private static String exec(List<String> cmd, int seconds) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd.get(0) + " is missing: install openssh-client (.ci/run does)", e);
        }
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + seconds + " s:\n" + out);
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + "\n" + out);
        return out;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
