package io.veloq.examples.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Finds the file descriptor of a JDK socket without reflection: the kernel's connection tables
 * ({@code /proc/net/tcp}, {@code /proc/net/tcp6}) give the socket's inode from its local and remote ports,
 * and {@code /proc/self/fd} gives the descriptor whose link is {@code socket:[inode]}. Linux only.
 */
final class ProcNet {
    private ProcNet() {
    }

    /** The fd of this process's TCP socket with these ports. */
    static int fdOfTcpSocket(int localPort, int remotePort) throws IOException {
        String local = String.format(Locale.ROOT, ":%04X", localPort);
        String remote = String.format(Locale.ROOT, ":%04X", remotePort);
        String inode = null;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[1].endsWith(local) && f[2].endsWith(remote)) {
                    inode = f[9];
                }
            }
        }
        if (inode == null) {
            throw new IOException("no TCP socket with local port " + localPort + " and remote port " + remotePort
                    + " in /proc/net/tcp{,6}");
        }
        String link = "socket:[" + inode + "]";
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(p).toString().equals(link)) {
                        return Integer.parseInt(p.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // closed meanwhile (e.g. the directory stream's own fd)
                }
            }
        }
        throw new IOException("no descriptor of this process links to " + link);
    }
}
