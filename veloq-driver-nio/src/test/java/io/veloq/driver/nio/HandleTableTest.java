package io.veloq.driver.nio;

import io.veloq.api.IoFd;
import io.veloq.api.net.AddressFamily;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handle numbers: never 0, never reused for another tenant, lookups that reject anything stale or foreign. */
class HandleTableTest {
    private static Handle add(HandleTable t) {
        long id = t.reserve();
        Handle h = new Handle(id, null, Handle.Kind.STREAM, AddressFamily.INET);
        t.publish(h);
        return h;
    }

    @Test
    void aFreedSlotComesBackUnderANewNumberAndTheOldOneIsDead() {
        HandleTable t = new HandleTable();
        Set<Long> seen = new HashSet<>();
        Handle first = add(t);
        assertTrue(first.id > 0, "no handle is 0");
        assertSame(first, t.get(IoFd.raw(first.id)));
        for (int i = 0; i < 1000; i++) {
            Handle h = add(t);
            assertTrue(seen.add(h.id), "number " + h.id + " issued twice");
            assertTrue(t.remove(h));
            assertFalse(t.remove(h), "removed twice");
            assertNull(t.get(h.id), "a removed handle is not found");
        }
        assertSame(first, t.get(first.id));
        assertEquals(1, t.size());
        assertNull(t.get(Integer.MAX_VALUE - 1), "a number never issued");
        assertNull(t.get(IoFd.fixed(1)), "no fixed files");
        assertNull(t.get(-5));
    }

    @Test
    void aFullTableSaysSoInsteadOfThrowing() {
        HandleTable t = new HandleTable(4); // slots 1..3
        Handle a = add(t);
        add(t);
        add(t);
        assertEquals(HandleTable.FULL, t.reserve());
        t.remove(a);
        long again = t.reserve();
        assertTrue(again != HandleTable.FULL && again != a.id, "the freed slot, under a new number: " + again);
        t.release(again);
        assertEquals(2, t.size());
        assertEquals(2, t.drain().size());
        assertEquals(0, t.size());
    }
}
