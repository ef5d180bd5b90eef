package io.veloq.driver.iocp.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * The kernel32 file calls of the simulator over real files: CreateFileW (dispositions, share and flag bits
 * as documented; it blocks, see {@link SimBlocking}), ReadFile/WriteFile with an OVERLAPPED (see
 * {@link SimFile}) and FlushFileBuffers (blocks).
 */
final class SimFiles {
    private final SimWin32 os;

    SimFiles(SimWin32 os) {
        this.os = os;
    }

    long createFileW(long fileName, int desiredAccess, int creationDisposition, int flagsAndAttributes) {
        String name = utf16z(fileName);
        os.blockingCall("CreateFileW(" + name + ")");
        Path path = Path.of(name);
        boolean read = (desiredAccess & 0x80000000) != 0;
        boolean write = (desiredAccess & 0x40000000) != 0;
        if ((flagsAndAttributes & 0x40000000) == 0) {
            throw new UnsupportedOperationException("simulator: CreateFileW without FILE_FLAG_OVERLAPPED is not modelled");
        }
        Set<OpenOption> opts = new HashSet<>();
        if (read) {
            opts.add(StandardOpenOption.READ);
        }
        if (write) {
            opts.add(StandardOpenOption.WRITE);
        }
        boolean existed = Files.exists(path);
        switch (creationDisposition) {
            case 1 -> opts.add(StandardOpenOption.CREATE_NEW);
            case 2 -> {
                opts.add(StandardOpenOption.CREATE);
                opts.add(StandardOpenOption.TRUNCATE_EXISTING);
            }
            case 3 -> { }
            case 4 -> opts.add(StandardOpenOption.CREATE);
            case 5 -> opts.add(StandardOpenOption.TRUNCATE_EXISTING);
            default -> {
                os.fail(87);
                return -1;
            }
        }
        if ((creationDisposition == 2 || creationDisposition == 5) && !write) {
            os.fail(87);
            return -1;
        }
        if ((flagsAndAttributes & 0x04000000) != 0) {
            opts.add(StandardOpenOption.DELETE_ON_CLOSE);
        }
        if ((flagsAndAttributes & 0x80000000) != 0) {
            opts.add(StandardOpenOption.DSYNC);
        }
        try {
            if (Files.isDirectory(path)) {
                os.fail(5);
                return -1;
            }
            FileChannel ch = FileChannel.open(path, opts);
            long h = os.newHandle();
            os.put(new SimFile(os, h, ch, read, write));
            os.lastError(existed && (creationDisposition == 2 || creationDisposition == 4) ? 183 : 0);
            return h;
        } catch (NoSuchFileException e) {
            Path parent = path.toAbsolutePath().getParent();
            os.fail(parent != null && Files.isDirectory(parent) ? 2 : 3);
        } catch (FileAlreadyExistsException e) {
            os.fail(80);
        } catch (AccessDeniedException e) {
            os.fail(5);
        } catch (FileSystemException e) {
            os.fail(5);
        } catch (IOException e) {
            os.fail(31);
        }
        return -1;
    }

    private static String utf16z(long address) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32767; i++) {
            ByteBuffer b = SimMemory.view(address + 2L * i, 2);
            char c = (char) (Short.toUnsignedInt(b.getShort(0)));
            if (c == 0) {
                byte[] bytes = SimMemory.bytes(address, 2 * i);
                return new String(bytes, StandardCharsets.UTF_16LE);
            }
            sb.append(c);
        }
        throw new IllegalStateException("CreateFileW file name is not NUL-terminated within 32767 characters");
    }

    /** ReadFile / WriteFile with an OVERLAPPED. */
    boolean transfer(SimOp.Kind kind, long handle, long buffer, int length, long overlapped) {
        if (!(os.handle(handle) instanceof SimFile f)) {
            return os.fail(6);
        }
        if (overlapped == 0) {
            throw new UnsupportedOperationException("simulator: ReadFile/WriteFile without an OVERLAPPED is not modelled");
        }
        SimOp op = new SimOp(kind, overlapped);
        ByteBuffer ov = SimMemory.view(overlapped, 32);
        long offset = Integer.toUnsignedLong(ov.getInt(16)) | (Integer.toUnsignedLong(ov.getInt(20)) << 32);
        op.fileOffset = offset == -1L ? -1 : offset;
        op.bufferAddress = buffer;
        op.length = length;
        try {
            if (f.start(op, os.fileCompletesAtOnce())) {
                os.ok();
                return true;
            }
            return os.fail(997); // ERROR_IO_PENDING
        } catch (SimError e) {
            return os.fail(e.code);
        }
    }

    boolean flush(long handle) {
        if (!(os.handle(handle) instanceof SimFile f)) {
            return os.fail(6);
        }
        os.blockingCall("FlushFileBuffers(0x" + Long.toHexString(handle) + ")");
        try {
            f.flush();
            os.ok();
            return true;
        } catch (SimError e) {
            return os.fail(e.code);
        }
    }
}
