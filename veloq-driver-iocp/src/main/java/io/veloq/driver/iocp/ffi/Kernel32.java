package io.veloq.driver.iocp.ffi;

import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.intptr_t;

/**
 * jnr-ffi binding of the kernel32.dll functions the IOCP driver calls. Handles and pointers are
 * {@code @intptr_t long} (64-bit on Win64, where a plain Java {@code long} would be mapped to C {@code long},
 * which is 32-bit there); DWORD, BOOL and int are {@code int}. Only the driver's real binding uses this
 * interface; it is public because jnr-ffi implements it from an unnamed module.
 *
 * <pre>{@code Kernel32 k = LibraryLoader.create(Kernel32.class).load("kernel32");}</pre>
 *
 * @since 0.1
 */
public interface Kernel32 {
    @SaveError
    @intptr_t
    long CreateIoCompletionPort(@intptr_t long fileHandle, @intptr_t long existingCompletionPort,
                                @intptr_t long completionKey, int numberOfConcurrentThreads);

    @SaveError
    int GetQueuedCompletionStatusEx(@intptr_t long completionPort, @intptr_t long entries, int count,
                                    @intptr_t long numEntriesRemoved, int milliseconds, int alertable);

    @SaveError
    int PostQueuedCompletionStatus(@intptr_t long completionPort, int bytesTransferred,
                                   @intptr_t long completionKey, @intptr_t long overlapped);

    @SaveError
    int CancelIoEx(@intptr_t long handle, @intptr_t long overlapped);

    @SaveError
    @intptr_t
    long CreateFileW(@intptr_t long fileName, int desiredAccess, int shareMode, @intptr_t long securityAttributes,
                     int creationDisposition, int flagsAndAttributes, @intptr_t long templateFile);

    @SaveError
    int ReadFile(@intptr_t long handle, @intptr_t long buffer, int bytesToRead, @intptr_t long bytesRead,
                 @intptr_t long overlapped);

    @SaveError
    int WriteFile(@intptr_t long handle, @intptr_t long buffer, int bytesToWrite, @intptr_t long bytesWritten,
                  @intptr_t long overlapped);

    @SaveError
    int FlushFileBuffers(@intptr_t long handle);

    @SaveError
    int CloseHandle(@intptr_t long handle);

    @SaveError
    int SetFileCompletionNotificationModes(@intptr_t long handle, byte flags);

    /**
     * Six arguments with a known answer: the start-up self-test that the sixth argument arrives intact
     * (jnr-ffi issue #181, NATIVE.md pitfall 1).
     */
    @SaveError
    int MultiByteToWideChar(int codePage, int flags, @intptr_t long multiByte, int multiByteLength,
                            @intptr_t long wideChar, int wideCharLength);
}
