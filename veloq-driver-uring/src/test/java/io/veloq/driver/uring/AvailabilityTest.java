package io.veloq.driver.uring;

import io.veloq.api.Capability;
import io.veloq.api.DriverDescription;
import io.veloq.api.IoRuntime;
import io.veloq.spi.Availability;
import io.veloq.spi.LinuxErrno;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What the provider tells users and {@code ./veloq doctor}. */
class AvailabilityTest {
    @Test
    void availableHereWithTheAppliedSetupFlagsInDetails() {
        UringProvider p = new UringProvider();
        Availability a = p.availability();
        assertTrue(a.available(), a.reason());
        assertEquals("uring", p.id());
        assertEquals(100, p.priority());
        assertFalse(p.explicitOnly());
        Map<String, String> d = p.details();
        assertEquals("SINGLE_ISSUER|DEFER_TASKRUN|COOP_TASKRUN|TASKRUN_FLAG|SUBMIT_ALL", d.get("setup-flags"), d.toString());
        assertTrue(d.get("kernel").matches("\\d+\\.\\d+.*"), d.toString());
        assertTrue(p.capabilities().containsAll(java.util.Set.of(Capability.FIXED_FILES, Capability.REGISTERED_BUFFERS,
                Capability.LINKED_TIMEOUTS, Capability.FILE_IO, Capability.UNIX_SOCKETS)));
    }

    @Test
    void theRuntimePicksUringByDefaultOnLinux() {
        DriverDescription uring = IoRuntime.drivers().stream().filter(x -> x.id().equals("uring")).findFirst().orElseThrow();
        assertTrue(uring.available(), uring.reason());
        try (IoRuntime rt = IoRuntime.open()) {
            assertEquals("uring", rt.driverId());
        }
    }

    @Test
    void notLinuxIsExplainedWithoutLoadingNativeCode() {
        String os = System.getProperty("os.name");
        try {
            System.setProperty("os.name", "Windows 11");
            Availability a = new UringProvider().availability();
            assertFalse(a.available());
            assertEquals("io_uring requires Linux (this is Windows 11)", a.reason());
            assertTrue(new UringProvider().capabilities().isEmpty());
        } finally {
            System.setProperty("os.name", os);
        }
    }

    @Test
    void setupFailuresNameTheCauseAndTheFix() {
        String enosys = KernelProbe.explain(LinuxErrno.ENOSYS.code(), "io_uring_setup(4 entries) failed");
        assertTrue(enosys.contains("ENOSYS") && enosys.contains("CONFIG_IO_URING"), enosys);
        String eperm = KernelProbe.explain(LinuxErrno.EPERM.code(), "io_uring_setup(4 entries) failed");
        assertTrue(eperm.startsWith("io_uring_setup: EPERM, ") && eperm.contains("io_uring_disabled"), eperm);
        // on this machine io_uring is enabled (0) and the test JVM has no filter: EPERM names neither as the cause
        assertTrue(eperm.contains("no seccomp filter is active"), eperm);
        String enomem = KernelProbe.explain(LinuxErrno.ENOMEM.code(), "io_uring_setup(4 entries) failed");
        assertTrue(enomem.contains("RLIMIT_MEMLOCK") && enomem.contains("ulimit -l"), enomem);
        String einval = KernelProbe.explain(LinuxErrno.EINVAL.code(), "SUBMIT_ALL -> EINVAL");
        assertTrue(einval.contains("too old"), einval);
    }

    @Test
    void eachCauseOfEpermIsNamedFromWhatProcReports() {
        String seccomp = KernelProbe.explainDenied("0", "-1", "2", "1");
        assertTrue(seccomp.startsWith("io_uring_setup: EPERM, blocked by a seccomp filter (Seccomp: 2 in /proc/self/status, 1 filter(s)"),
                seccomp);
        assertTrue(seccomp.contains("--security-opt seccomp="), seccomp);
        String sysctl = KernelProbe.explainDenied("2", "-1", "2", "1");
        assertTrue(sysctl.startsWith("io_uring_setup: EPERM, disabled on this machine by kernel.io_uring_disabled=2"),
                "the sysctl wins: it denies everyone, filter or not: " + sysctl);
        String group = KernelProbe.explainDenied("1", "1001", "0", "0");
        assertTrue(group.contains("group 1001") && group.contains("kernel.io_uring_disabled=1"), group);
        String other = KernelProbe.explainDenied(null, null, "0", "0");
        assertTrue(other.contains("kernel.io_uring_disabled=(absent)") && other.contains("no seccomp filter"), other);
    }
}
