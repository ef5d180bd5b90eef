package io.veloq.driver.iocp;

import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Fsync;
import io.veloq.api.op.Open;
import io.veloq.driver.iocp.win32.NativeMemory;
import io.veloq.driver.iocp.win32.Structs;
import io.veloq.driver.iocp.win32.Win32;
import io.veloq.spi.IoBuffers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

import static io.veloq.driver.iocp.win32.Win32Constants.*;

/**
 * The file ops of one driver.
 * <ul>
 *   <li>Read/Write: overlapped ReadFile/WriteFile at the op's offset, or at the position the driver keeps per
 *       handle (offset -1; APPEND writes at the end). Windows completes many of them at once even on an
 *       overlapped handle (cached reads, writes that extend the file, compressed or encrypted files):
 *       {@link IocpDriver#started} handles both outcomes. A write that extends a file runs synchronously
 *       inside WriteFile, so it can hold the loop for the time the file system takes to extend it.</li>
 *   <li>Open (CreateFileW) and Fsync (FlushFileBuffers) block the calling thread (a network share, an
 *       antivirus filter, the disk): both run on {@link BlockingCalls}, off the loop.</li>
 * </ul>
 * Loop thread only (the blocking calls themselves run on the pool).
 */
final class FileOps {
    private static final Set<StandardOpenOption> OPEN_OPTIONS = EnumSet.of(StandardOpenOption.READ,
            StandardOpenOption.WRITE, StandardOpenOption.APPEND, StandardOpenOption.CREATE,
            StandardOpenOption.CREATE_NEW, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.DSYNC,
            StandardOpenOption.SYNC, StandardOpenOption.DELETE_ON_CLOSE);

    private final IocpDriver d;
    private final Win32 w;
    private final OverlappedSlots slots;

    FileOps(IocpDriver driver) {
        this.d = driver;
        this.w = driver.win32();
        this.slots = driver.slots();
    }

    /** Starts ReadFile/WriteFile; records in {@code fileOffsets[slot]} whether the position must advance. */
    void startFile(int slot, IoFd fd, FixedBuf buf, long offset, boolean write, long[] fileOffsets) {
        long h = ((IoFd.Raw) fd).handle();
        int hf = d.associate(slot, h, false);
        if (hf < 0) {
            return;
        }
        int off = slots.arm(slot);
        fileOffsets[slot] = offset;
        long at;
        if (offset >= 0) {
            at = offset;
        } else if (write && (hf & HandleTable.APPEND) != 0) {
            at = -1; // Offset = OffsetHigh = 0xFFFFFFFF: write at the end of the file
            fileOffsets[slot] = -2;
        } else {
            at = d.handles().position(h);
        }
        Structs.Overlapped.setOffset(slots.mem, slots.overlappedOffset(slot), at);
        ByteBuffer mem = IoBuffers.memory(buf);
        boolean ok;
        if (write) {
            long addr = NativeMemory.address(mem) + IoBuffers.drainOffset(buf);
            ok = w.writeFile(h, addr, IoBuffers.drainLength(buf), 0, slots.overlapped(slot));
        } else {
            long addr = NativeMemory.address(mem) + IoBuffers.fillOffset(buf);
            ok = w.readFile(h, addr, IoBuffers.fillLength(buf), 0, slots.overlapped(slot));
        }
        d.started(slot, ok, hf, false);
    }

    /** FlushFileBuffers, off the loop. */
    void fsync(int slot, Fsync f) {
        long h = ((IoFd.Raw) f.fd()).handle();
        if ((d.handles().kind(h) & HandleTable.FILE) == 0) {
            d.ready(slot, -ERROR_INVALID_HANDLE);
            return;
        }
        d.offload(slot, () -> w.flushFileBuffers(h) ? 0 : -w.lastError(), r -> { });
    }

    /** CreateFileW, off the loop; the new handle is registered there, and closed if nobody is left to take it. */
    void open(int slot, Open o) {
        Set<StandardOpenOption> opts = o.options();
        for (StandardOpenOption opt : opts) {
            if (!OPEN_OPTIONS.contains(opt)) {
                d.ready(slot, -ERROR_INVALID_PARAMETER); // SPARSE: no equivalent here
                return;
            }
        }
        boolean append = opts.contains(StandardOpenOption.APPEND);
        int access = 0;
        if (opts.contains(StandardOpenOption.READ) || !(opts.contains(StandardOpenOption.WRITE) || append)) {
            access |= GENERIC_READ;
        }
        if (opts.contains(StandardOpenOption.WRITE) || append) {
            access |= GENERIC_WRITE;
        }
        boolean truncate = opts.contains(StandardOpenOption.TRUNCATE_EXISTING) && (access & GENERIC_WRITE) != 0;
        int disposition;
        if (opts.contains(StandardOpenOption.CREATE_NEW)) {
            disposition = CREATE_NEW;
        } else if (opts.contains(StandardOpenOption.CREATE)) {
            disposition = truncate ? CREATE_ALWAYS : OPEN_ALWAYS;
        } else {
            disposition = truncate ? TRUNCATE_EXISTING : OPEN_EXISTING;
        }
        int flags = FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OVERLAPPED;
        if (opts.contains(StandardOpenOption.DSYNC) || opts.contains(StandardOpenOption.SYNC)) {
            flags |= FILE_FLAG_WRITE_THROUGH;
        }
        if (opts.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
            flags |= FILE_FLAG_DELETE_ON_CLOSE;
        }
        byte[] name = (win32Path(o.path().toAbsolutePath().toString()) + '\0').getBytes(StandardCharsets.UTF_16LE);
        int acc = access;
        int disp = disposition;
        int fl = flags;
        HandleTable handles = d.handles();
        d.offload(slot, () -> {
            long h;
            try (NativeMemory.Block path = NativeMemory.allocate(name.length)) {
                path.buffer().put(0, name);
                h = w.createFileW(path.address(), acc, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, 0,
                        disp, fl, 0);
            }
            if (h == INVALID_HANDLE_VALUE) {
                return -w.lastError();
            }
            handles.register(h, HandleTable.FILE | (append ? HandleTable.APPEND : 0));
            return h;
        }, h -> {
            if (h >= 0) {
                handles.remove(h);
                w.closeHandle(h);
            }
        });
    }

    /**
     * A path CreateFileW accepts at any length: past MAX_PATH (260) a drive path needs the {@code \\?\}
     * prefix and a UNC path {@code \\?\UNC\}. Anything else is passed as is.
     */
    static String win32Path(String absolute) {
        if (absolute.length() < 248 || absolute.startsWith("\\\\?\\")) {
            return absolute;
        }
        if (absolute.length() > 2 && Character.isLetter(absolute.charAt(0)) && absolute.charAt(1) == ':'
                && absolute.charAt(2) == '\\') {
            return "\\\\?\\" + absolute;
        }
        if (absolute.startsWith("\\\\")) {
            return "\\\\?\\UNC\\" + absolute.substring(2);
        }
        return absolute;
    }
}
