package io.veloq.bench.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SyscallCounterTest {

    @Test
    void perfTotalComesFromRawSyscallsAndTheRestIsOther() {
        String out = "# started on Thu Nov 26 15:20:00 2026\n\n"
                + "1000,,raw_syscalls:sys_enter,2000000,100.00,,\n"
                + "450,,syscalls:sys_enter_read,2000000,100.00,,\n"
                + "440,,syscalls:sys_enter_write,2000000,100.00,,\n"
                + "0,,syscalls:sys_enter_io_uring_enter,2000000,100.00,,\n"
                + "<not counted>,,syscalls:sys_enter_futex,0,0.00,,\n";
        SyscallCounter.Counts c = SyscallCounter.parsePerf(out);
        assertNull(c.error());
        assertEquals(1000, c.total());
        assertEquals(450, c.bySyscall().get("read"));
        assertEquals(110, c.bySyscall().get("other"));
        assertTrue(!c.bySyscall().containsKey("io_uring_enter"));
        assertEquals("read 450, write 440", c.top(2));
    }

    @Test
    void perfWithoutOutputIsAnError() {
        SyscallCounter.Counts c = SyscallCounter.parsePerf("event syntax error\n");
        assertEquals(-1, c.total());
        assertTrue(c.error().contains("perf reported nothing"));
    }

    @Test
    void straceSummary() {
        String out = "% time     seconds  usecs/call     calls    errors syscall\n"
                + "------ ----------- ----------- --------- --------- ----------------\n"
                + " 60.00    0.060000           1     50000           read\n"
                + " 39.00    0.039000           1     49000           write\n"
                + "  1.00    0.001000          10       100        20 futex\n"
                + "------ ----------- ----------- --------- --------- ----------------\n"
                + "100.00    0.100000           1     99100        20 total\n";
        SyscallCounter.Counts c = SyscallCounter.parseStrace(out);
        assertNull(c.error());
        assertEquals(99100, c.total());
        assertEquals(50000, c.bySyscall().get("read"));
        assertEquals(100, c.bySyscall().get("futex"));
    }

    @Test
    void perfEventListAlwaysHasTheTotal() {
        String ev = SyscallCounter.perfEvents();
        assertTrue(ev.startsWith("raw_syscalls:sys_enter"), ev);
    }
}
