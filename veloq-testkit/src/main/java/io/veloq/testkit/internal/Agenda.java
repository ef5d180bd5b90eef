package io.veloq.testkit.internal;

import java.util.PriorityQueue;

/**
 * The fake kernel's future: events ordered by time, then by the order they were scheduled, so two events
 * due at the same instant always run in the same order for a given seed. Guarded by the kernel's lock.
 */
final class Agenda {
    static final long NEVER = Long.MAX_VALUE;

    static final class Event {
        final long time;
        final long seq;
        final Runnable action;
        boolean cancelled;

        Event(long time, long seq, Runnable action) {
            this.time = time;
            this.seq = seq;
            this.action = action;
        }
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
            a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    private long nextSeq;

    Event at(long time, Runnable action) {
        Event e = new Event(time, nextSeq++, action);
        queue.add(e);
        return e;
    }

    /** The time of the earliest live event, or {@link #NEVER}. */
    long nextTime() {
        Event e;
        while ((e = queue.peek()) != null && e.cancelled) {
            queue.poll();
        }
        return e == null ? NEVER : e.time;
    }

    /** Runs every event due at {@code now} (including ones scheduled while running); returns how many ran. */
    int runDue(long now) {
        int n = 0;
        Event e;
        while ((e = queue.peek()) != null && e.time <= now) {
            queue.poll();
            if (!e.cancelled) {
                n++;
                e.action.run();
            }
        }
        return n;
    }

    int size() {
        int n = 0;
        for (Event e : queue) {
            if (!e.cancelled) {
                n++;
            }
        }
        return n;
    }
}
