package io.veloq.driver.iocp.ffi;

/**
 * jnr-ffi binding of the one ntdll.dll function the IOCP driver calls: {@code RtlNtStatusToDosError}, which
 * turns the NTSTATUS a file operation left in {@code OVERLAPPED.Internal} into the Win32 code
 * {@code GetOverlappedResult} would report. It has no import library; jnr-ffi finds it by name in ntdll.dll
 * like any export. It does not set the last error, so no {@code @SaveError}.
 *
 * <pre>{@code Ntdll nt = LibraryLoader.create(Ntdll.class).load("ntdll");  nt.RtlNtStatusToDosError(0xC0000011);  // 38}</pre>
 *
 * @since 0.1
 */
public interface Ntdll {
    /** ULONG RtlNtStatusToDosError(NTSTATUS); ERROR_MR_MID_NOT_FOUND (317) for a status without a Win32 code. */
    int RtlNtStatusToDosError(int status);
}
