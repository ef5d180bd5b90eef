package io.veloq.driver.iocp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The driver's two small data structures: the timer heap and the shared handle table. */
public class TablesTest {

    @Test
    void timerHeapPopsInDeadlineOrderAndRemovesFromTheMiddle() {
        Random r = new Random(42);
        TimerHeap t = new TimerHeap(200);
        long[] deadline = new long[200];
        long base = Long.MAX_VALUE - 1_000; // deadlines near overflow compare by difference
        for (int slot = 0; slot < 200; slot++) {
            deadline[slot] = base + r.nextInt(2_000);
            t.add(slot, deadline[slot]);
        }
        for (int slot = 0; slot < 200; slot += 3) {
            assertTrue(t.remove(slot));
            assertFalse(t.remove(slot), "removed twice");
        }
        List<Integer> order = new ArrayList<>();
        while (!t.isEmpty()) {
            order.add(t.poll());
        }
        assertEquals(200 - 67, order.size());
        for (int i = 1; i < order.size(); i++) {
            assertTrue(deadline[order.get(i)] - deadline[order.get(i - 1)] >= 0, "out of order at " + i);
        }
    }

    @Test
    void handleTableTracksKindAssociationAndPosition_andForgetsOnRemove() {
        HandleTable h = new HandleTable();
        for (long v = 4; v < 4 * 500; v += 4) {
            h.register(v, v % 8 == 0 ? HandleTable.SOCKET : HandleTable.FILE);
        }
        assertEquals(499, h.size());
        assertEquals(HandleTable.SOCKET, h.flagsFor(8, 0x100), "registered, not associated");
        assertEquals(0, h.flagsFor(4 * 600, 0x100), "unknown");
        assertEquals(0, h.associateOnce(4 * 600, 0x100, (x, fl) -> {
            throw new AssertionError("an unknown handle was associated");
        }), "an unknown handle is never recorded implicitly");
        assertFalse(h.mark(4 * 600, HandleTable.REUSE_ADDR, true));
        assertEquals(0, h.kind(4 * 600));
        assertEquals(-87, h.associateOnce(12, 0x100, (x, fl) -> -87), "a failed association is reported");
        assertEquals(HandleTable.FILE, h.flagsFor(12, 0x100), "and not recorded");
        int f = h.associateOnce(8, 0x100, (x, fl) -> HandleTable.SKIP_ON_SUCCESS);
        assertEquals(HandleTable.SOCKET | HandleTable.ASSOCIATED | HandleTable.SKIP_ON_SUCCESS, f);
        assertEquals(f, h.flagsFor(8, 0x100));
        assertEquals(0x100, h.ownerOf(8));
        assertEquals(f | HandleTable.FOREIGN, h.flagsFor(8, 0x200), "associated with another driver's port");
        assertEquals(f | HandleTable.FOREIGN, h.associateOnce(8, 0x200, (x, fl) -> {
            throw new AssertionError("a handle was associated twice");
        }), "a second port never tries to associate it");
        h.advance(16, 100);
        h.advance(16, 20);
        assertEquals(120, h.position(16));
        for (long v = 4; v < 4 * 500; v += 8) { // 4, 12, 20, ...: the files
            assertTrue(h.remove(v) != 0);
        }
        assertEquals(249, h.size());
        assertEquals(f, h.flagsFor(8, 0x100), "survivors keep their entries after backward-shift deletes");
        assertEquals(120, h.position(16));
        assertEquals(0, h.remove(4), "already gone");
        h.register(8, HandleTable.FILE);
        assertEquals(HandleTable.FILE, h.flagsFor(8, 0x100), "a reused handle value starts fresh");
    }

    @Test
    void longWindowsPathsGetTheExtendedLengthPrefix() {
        String dir = "C:\\" + "d".repeat(300) + "\\f.bin";
        assertEquals("\\\\?\\" + dir, FileOps.win32Path(dir));
        String unc = "\\\\server\\share\\" + "d".repeat(300);
        assertEquals("\\\\?\\UNC\\server\\share\\" + "d".repeat(300), FileOps.win32Path(unc));
        assertEquals("C:\\short.txt", FileOps.win32Path("C:\\short.txt"));
        assertEquals("\\\\?\\" + dir, FileOps.win32Path("\\\\?\\" + dir), "already prefixed");
        String linux = "/tmp/" + "d".repeat(300);
        assertEquals(linux, FileOps.win32Path(linux), "not a Windows path: left alone (simulator)");
    }
}
