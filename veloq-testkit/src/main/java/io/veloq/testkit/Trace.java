package io.veloq.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The record of everything a fake driver did: every submission, cancellation, completion, injected fault
 * and scripted action, in order. For a given seed and test the trace is identical on every run, so two
 * runs can be compared line by line ({@link #firstDifference}).
 *
 * <pre>{@code
 * System.out.println(sim.trace());             // the whole trace, one event per line
 * System.out.println(sim.trace().tail(20));    // the last 20 events
 * assertEquals(run1.trace().lines(), run2.trace().lines());   // replay: same seed, same trace
 * }</pre>
 *
 * @since 0.1
 */
public final class Trace {
    private final List<TraceEvent> events;
    private final long dropped;

    /** A snapshot of {@code events}; {@code dropped} earlier events were discarded to bound memory. */
    public Trace(List<TraceEvent> events, long dropped) {
        this.events = Collections.unmodifiableList(new ArrayList<>(events));
        this.dropped = dropped;
    }

    public List<TraceEvent> events() {
        return events;
    }

    /** Events discarded from the start (only long real-time runs bound their trace). */
    public long dropped() {
        return dropped;
    }

    /** The events as text lines. */
    public List<String> lines() {
        List<String> out = new ArrayList<>(events.size());
        for (TraceEvent e : events) {
            out.add(e.toString());
        }
        return out;
    }

    /** The last {@code n} events as text. */
    public String tail(int n) {
        StringBuilder sb = new StringBuilder();
        int from = Math.max(0, events.size() - n);
        if (from > 0 || dropped > 0) {
            sb.append("  ... ").append(from + dropped).append(" earlier events\n");
        }
        for (int i = from; i < events.size(); i++) {
            sb.append("  ").append(events.get(i)).append('\n');
        }
        return sb.toString();
    }

    /** The first line where the traces differ, described, or null if they are equal. */
    public String firstDifference(Trace other) {
        List<String> a = lines();
        List<String> b = other.lines();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < a.size() ? a.get(i) : "<end of trace>";
            String y = i < b.size() ? b.get(i) : "<end of trace>";
            if (!x.equals(y)) {
                return "event " + i + ": expected\n  " + x + "\nbut was\n  " + y;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return tail(Integer.MAX_VALUE);
    }
}
