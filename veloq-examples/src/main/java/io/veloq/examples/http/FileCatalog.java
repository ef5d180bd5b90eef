package io.veloq.examples.http;

import io.veloq.api.EventLoop;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.VeloqIoException;
import io.veloq.api.op.Close;
import io.veloq.api.op.Open;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Resolves request paths to files under the served directory, on its own thread, so the event loops never
 * block on the file system (path lookups, {@code stat}, symlinks) nor allocate for it: they cache the
 * {@link FileEntry}s this catalog hands them in their {@link LoopFiles} tables.
 *
 * <p>Safety of a path, decided here once per path: percent-decoding must give valid UTF-8 without NUL or an
 * encoded '/'; a {@code ..} segment is refused (400); the file's real path, symlinks followed, must lie under
 * the directory's real path (a symlink that escapes answers 404, as if nothing were there); a directory
 * serves its {@code index.html}; anything but a regular file is 404.
 *
 * <p>Freshness: every {@code checkInterval} the thread looks at each entry again (real path, size, mtime,
 * inode). One that changed is marked {@linkplain FileEntry#stale stale} and dropped; the loops sweep it out
 * and the next request resolves the path anew. The same tick publishes the {@code Date} header line.
 */
final class FileCatalog implements AutoCloseable {
    /** The most paths remembered; past it the catalog starts over (bounds memory against random paths). */
    static final int MAX_ENTRIES = 4096;
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final Runnable STOP = () -> { };
    private static final long DATE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Path root;
    private final EventLoop io;
    private final long checkNanos;
    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Thread thread;
    // Catalog thread only:
    private final Map<String, FileEntry> entries = new HashMap<>();
    private final Set<FileEntry> open = new HashSet<>(); // entries whose descriptor is still open
    private final List<Runnable> onStale = new ArrayList<>();
    private long nextCheck;
    private long lastDate;
    private volatile byte[] dateLine;

    /**
     * @param root          the served directory (must exist)
     * @param io            the loop whose {@code Open}/{@code Close} ops open and close the files (any loop: a
     *                      descriptor is the process's)
     * @param checkInterval how often entries are checked against the disk
     */
    FileCatalog(Path root, EventLoop io, Duration checkInterval) throws IOException {
        this.root = root.toRealPath();
        if (!Files.isDirectory(this.root)) {
            throw new IOException(root + " is not a directory");
        }
        this.io = io;
        this.checkNanos = checkInterval.toNanos();
        this.dateLine = dateLine();
        this.thread = new Thread(this::run, "http-files");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    Path root() {
        return root;
    }

    /** {@code Date: <IMF-fixdate>\r\n}, refreshed every tick; always the same length. */
    byte[] dateLine() {
        byte[] d = dateLine;
        return d != null ? d : ascii("Date: " + HTTP_DATE.format(Instant.now()) + "\r\n");
    }

    /** Runs {@code sweep} on every tick that found stale entries (each loop registers its sweeper). */
    void onStale(Runnable sweep) {
        tasks.add(() -> onStale.add(sweep));
    }

    /**
     * Resolves {@code key} (a raw request path) on the catalog thread, then runs {@code reply} on {@code loop}
     * with the entry, which carries one reference for the caller.
     */
    void resolve(byte[] key, EventLoop loop, Consumer<FileEntry> reply) {
        tasks.add(() -> {
            FileEntry e = lookup(new String(key, StandardCharsets.ISO_8859_1));
            e.retain();
            try {
                loop.execute(() -> reply.accept(e));
            } catch (RuntimeException closed) {
                releaseOnThread(e); // the loop is closing: nobody will take it
            }
        });
    }

    /** Drops a reference taken by {@link #resolve}; any thread. The last one closes the descriptor. */
    void release(FileEntry e) {
        if (e.release() && e.fd != null) {
            tasks.add(new CloseTask(e));
        }
    }

    /** A descriptor to close on the catalog thread (the only task {@link #close()} still runs). */
    private final class CloseTask implements Runnable {
        private final FileEntry entry;

        CloseTask(FileEntry entry) {
            this.entry = entry;
        }

        @Override
        public void run() {
            closeFile(entry);
        }
    }

    private void releaseOnThread(FileEntry e) {
        if (e.release() && e.fd != null) {
            closeFile(e);
        }
    }

    private void run() {
        nextCheck = System.nanoTime() + checkNanos;
        try {
            for (;;) {
                long wait = Math.max(0, nextCheck - System.nanoTime());
                Runnable r = tasks.poll(Math.min(wait, DATE_NANOS / 4), TimeUnit.NANOSECONDS);
                if (r == STOP) {
                    return;
                }
                if (r != null) {
                    r.run();
                }
                long now = System.nanoTime();
                if (now - lastDate >= DATE_NANOS) {
                    dateLine = ascii("Date: " + HTTP_DATE.format(Instant.now()) + "\r\n");
                    lastDate = now;
                }
                if (now - nextCheck >= 0) {
                    check();
                    nextCheck = now + checkNanos;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            System.getLogger("io.veloq.examples.http").log(System.Logger.Level.ERROR, "file catalog failed", e);
        }
    }

    private FileEntry lookup(String key) {
        FileEntry e = entries.get(key);
        if (e != null) {
            return e;
        }
        if (entries.size() >= MAX_ENTRIES) {
            for (FileEntry old : entries.values()) {
                retire(old);
            }
            entries.clear();
            announceStale();
        }
        e = resolveFresh(key);
        entries.put(key, e);
        return e;
    }

    /** Compares every entry with the disk; a changed one goes stale. */
    private void check() {
        boolean any = false;
        for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, FileEntry> kv = it.next();
            if (!describe(kv.getKey()).sameAs(kv.getValue())) {
                it.remove();
                retire(kv.getValue());
                any = true;
            }
        }
        if (any) {
            announceStale();
        }
    }

    private void retire(FileEntry e) {
        e.stale = true;
        releaseOnThread(e);
    }

    private void announceStale() {
        for (Runnable sweep : onStale) {
            try {
                sweep.run();
            } catch (RuntimeException closing) {
                // that loop is closing; its table goes with it
            }
        }
    }

    /** Resolves and, for a file, opens it. */
    private FileEntry resolveFresh(String key) {
        FileEntry d = describe(key);
        if (d.status != 200) {
            return d;
        }
        IoFd fd;
        try {
            fd = IoFd.raw(io.call(Open.read(d.realPath)).valueOrThrow());
        } catch (IOException e) {
            VeloqIoException v = e.getCause() instanceof VeloqIoException ve ? ve : null;
            return FileEntry.status(v != null && v.kind() == IoErrorKind.PERMISSION_DENIED ? 403 : 404);
        }
        FileEntry e = new FileEntry(200, fd, d.size, head(d), d.realPath, d.modifiedMillis, d.fileKey);
        open.add(e);
        return e;
    }

    /** What {@code key} names now, without opening it: a 200 entry with no descriptor, or a status entry. */
    FileEntry describe(String key) {
        String path = decode(key);
        if (path == null) {
            return FileEntry.status(400);
        }
        Path p = root;
        for (String seg : path.split("/", -1)) {
            if (seg.equals("..")) {
                return FileEntry.status(400); // traversal: refused before touching the disk
            }
            if (!seg.isEmpty() && !seg.equals(".")) {
                p = p.resolve(seg);
            }
        }
        try {
            Path real = p.toRealPath();
            if (!real.startsWith(root)) {
                return FileEntry.status(404); // a symlink out of the served directory: as if nothing were there
            }
            if (Files.isDirectory(real)) {
                real = real.resolve("index.html").toRealPath();
                if (!real.startsWith(root)) {
                    return FileEntry.status(404);
                }
            }
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return FileEntry.status(404);
            }
            return new FileEntry(200, null, a.size(), null, real, a.lastModifiedTime().toMillis(), a.fileKey());
        } catch (NoSuchFileException e) {
            return FileEntry.status(404);
        } catch (IOException | RuntimeException e) {
            return FileEntry.status(404); // unreadable, a name the file system refuses (too long...): not found
        }
    }

    /** Percent-decodes a raw path as UTF-8; null when invalid, or when it holds NUL or an encoded '/'. */
    static String decode(String raw) {
        byte[] out = new byte[raw.length()];
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    return null;
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                int b = hi << 4 | lo;
                if (b == 0 || b == '/') {
                    return null;
                }
                out[n++] = (byte) b;
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out, 0, n)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static byte[] head(FileEntry d) {
        return ascii("HTTP/1.1 200 OK\r\nServer: veloq\r\nContent-Type: " + contentType(d.realPath.getFileName().toString())
                + "\r\nContent-Length: " + d.size + "\r\nLast-Modified: "
                + HTTP_DATE.format(Instant.ofEpochMilli(d.modifiedMillis)) + "\r\n");
    }

    static String contentType(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        switch (ext) {
            case "html": case "htm": return "text/html; charset=utf-8";
            case "txt": return "text/plain; charset=utf-8";
            case "css": return "text/css; charset=utf-8";
            case "js": case "mjs": return "text/javascript; charset=utf-8";
            case "json": return "application/json";
            case "svg": return "image/svg+xml";
            case "png": return "image/png";
            case "jpg": case "jpeg": return "image/jpeg";
            case "gif": return "image/gif";
            case "webp": return "image/webp";
            case "ico": return "image/x-icon";
            case "wasm": return "application/wasm";
            case "pdf": return "application/pdf";
            default: return "application/octet-stream";
        }
    }

    private void closeFile(FileEntry e) {
        if (open.remove(e)) {
            try {
                io.call(new Close(e.fd));
            } catch (RuntimeException closing) {
                // the runtime is closing; its close does not touch our descriptors, so report it
                System.getLogger("io.veloq.examples.http").log(System.Logger.Level.WARNING,
                        "could not close " + e + ": " + closing);
            }
        }
    }

    /**
     * Stops the thread and closes every descriptor still open. Call after the loops have stopped serving
     * (their transfers are over) and before the runtime closes. Idempotent.
     */
    @Override
    public void close() {
        if (thread.isAlive()) {
            tasks.add(STOP);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Runnable r;
        while ((r = tasks.poll()) != null) {
            if (r instanceof CloseTask) {
                r.run(); // resolves still queued are dropped: nobody serves their answer any more
            }
        }
        for (FileEntry e : List.copyOf(open)) {
            closeFile(e);
        }
        entries.clear();
    }

    /** Descriptors the catalog holds open now (tests: 0 after close). */
    int openFiles() {
        return open.size();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
