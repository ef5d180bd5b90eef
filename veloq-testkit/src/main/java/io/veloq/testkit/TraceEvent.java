package io.veloq.testkit;

import io.veloq.spi.LinuxErrno;

import java.util.Locale;

/**
 * One line of a simulation's trace: a submission, a cancellation request, a completion, an injected fault
 * or something the test scripted.
 *
 * <pre>{@code
 * for (TraceEvent e : sim.trace().events())
 *     if (e.type() == TraceEvent.Type.FAULT) System.out.println(e);
 * }</pre>
 *
 * @param seq       position in the trace, from 0
 * @param timeNanos the driver's clock (virtual time in a simulation)
 * @param loop      the event loop (driver instance), or -1 for the network itself
 * @param type      what happened
 * @param opId      the fake kernel's number for the op (-1 when none)
 * @param what      the op or action, e.g. {@code "Recv on fd 5"}
 * @param result    the completion result (bytes, fd, or minus an errno); 0 otherwise
 * @param detail    extra words (fault kind, peer action)
 * @since 0.1
 */
public record TraceEvent(long seq, long timeNanos, int loop, Type type, long opId, String what, long result,
                         String detail) {
    /** Kinds of trace events. */
    public enum Type { SUBMIT, CANCEL, COMPLETE, FAULT, SCRIPT }

    /** The result as a word: {@code 5} or {@code ECONNRESET (-104)}. */
    public String resultText() {
        if (result >= 0) {
            return Long.toString(result);
        }
        LinuxErrno e = LinuxErrno.of((int) -result);
        return (e == null ? "errno " + -result : e.name()) + " (" + result + ")";
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%5d t=%d.%09ds ", seq, timeNanos / 1_000_000_000L,
                Math.abs(timeNanos % 1_000_000_000L)));
        sb.append(loop >= 0 ? "loop" + loop + " " : "net   ");
        sb.append(String.format(Locale.ROOT, "%-8s ", type));
        if (opId >= 0) {
            sb.append("op").append(opId).append(' ');
        }
        sb.append(what);
        if (type == Type.COMPLETE) {
            sb.append(" -> ").append(resultText());
        }
        if (detail != null && !detail.isEmpty()) {
            sb.append(" (").append(detail).append(')');
        }
        return sb.toString();
    }
}
