package io.veloq.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders {@link Table}s as markdown. */
public final class Markdown {

    /**
     * How a table is labelled.
     *
     * @param rowHeader      first column's header ("server", "engine")
     * @param rateHeader     header of the rate column ("msgs/s", "IOPS")
     * @param opNoun         what one op is called ("msg", "op")
     * @param refs           rows every other row is compared with (ratios); missing ones show "—"
     * @param allocColumn    show the loop threads' allocated bytes per op
     * @param clientColumn   show the load generator's CPU
     * @param cpuHeader      whose CPU the CPU column is ("server", "worker JVM")
     * @param disturbedLimit other processes' CPU (cores) above which a window counts as disturbed
     */
    public record Style(String rowHeader, String rateHeader, String opNoun, List<String> refs, boolean allocColumn,
                        boolean clientColumn, String cpuHeader, double disturbedLimit) {
    }

    private Markdown() {
    }

    public static String table(Table t, Style s) {
        List<String> head = new ArrayList<>();
        head.add(s.rowHeader());
        head.add(s.rateHeader());
        head.add("MB/s");
        head.add("p50 µs");
        head.add("p99 µs");
        head.add("p99.9 µs");
        head.add(s.cpuHeader() + " CPU µs/" + s.opNoun() + " (= s per M " + s.opNoun() + "s)");
        if (s.allocColumn()) {
            head.add("alloc B/" + s.opNoun() + " (loop)");
        }
        for (String ref : s.refs()) {
            head.add(s.rateHeader() + " ÷ " + ref);
            head.add("CPU/" + s.opNoun() + " ÷ " + ref);
        }
        head.add(s.clientColumn() ? "client CPU" : s.cpuHeader() + " CPU");
        head.add("notes");

        StringBuilder sb = new StringBuilder();
        line(sb, head);
        List<String> sep = new ArrayList<>();
        for (int i = 0; i < head.size(); i++) {
            sep.add(i == 0 || i == head.size() - 1 ? "---" : "---:");
        }
        line(sb, sep);
        for (Row r : t.rows) {
            List<String> c = new ArrayList<>();
            c.add(r.name);
            if (!r.hasFigures()) {
                String why = r.status != null ? r.status
                        : r.failedRuns > 0 ? "failed: " + r.firstFailure : "no figures";
                while (c.size() < head.size() - 1) {
                    c.add("—");
                }
                c.add(r.name + ": " + why);
                line(sb, c);
                continue;
            }
            c.add(rate(r.opsPerSecond()));
            c.add(mb(r.megabytesPerSecond()));
            c.add(micros(r.p50()));
            c.add(micros(r.p99()));
            c.add(micros(r.p999()));
            c.add(cpu(r.cpuMicrosPerOp()));
            if (s.allocColumn()) {
                c.add(alloc(r.loopAllocPerOp()));
            }
            for (String refName : s.refs()) {
                Row ref = t.row(refName);
                boolean ok = ref != null && ref.hasFigures();
                c.add(ok ? ratio(Stats.ratio(r.opsPerSecond(), ref.opsPerSecond())) : "—");
                c.add(ok ? ratio(Stats.ratio(r.cpuMicrosPerOp(), ref.cpuMicrosPerOp())) : "—");
            }
            c.add(percent(s.clientColumn() ? r.clientCpuFraction() : r.cpuFraction()));
            c.add(notes(r, s));
            line(sb, c);
        }
        return sb.toString();
    }

    static String notes(Row r, Style s) {
        List<String> n = new ArrayList<>();
        int runs = r.runs.size();
        if (s.clientColumn() && r.saturatedRuns() > 0) {
            n.add("client saturated " + r.saturatedRuns() + "/" + runs);
        }
        long dist = r.disturbedRuns(s.disturbedLimit());
        if (dist > 0) {
            n.add("disturbed " + dist + "/" + runs + " (others up to "
                    + String.format(Locale.ROOT, "%.2f", r.maxOtherCpuCores()) + " CPU)");
        }
        double spread = r.cpuSpread();
        if (!Double.isNaN(spread)) {
            n.add("CPU/" + s.opNoun() + " spread " + String.format(Locale.ROOT, "%.0f%%", spread * 100));
        }
        if (r.failedRuns > 0) {
            n.add(r.failedRuns + " failed run(s): " + r.firstFailure);
        }
        for (RunRecord rr : r.runs) {
            if (rr.note != null && !n.contains(rr.note)) {
                n.add(rr.note);
            }
        }
        n.add("median of " + runs);
        return String.join("; ", n);
    }

    private static void line(StringBuilder sb, List<String> cells) {
        sb.append('|');
        for (String c : cells) {
            sb.append(' ').append(c.replace("|", "\\|").replace('\n', ' ')).append(" |");
        }
        sb.append('\n');
    }

    /** Rate with thousands separators: {@code 123,457}. */
    public static String rate(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    public static String mb(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
    }

    /** Microseconds: 2 decimals below 1, 1 decimal below 100, none above. */
    public static String micros(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, v < 1 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    }

    /** CPU per op with 3 significant digits. */
    public static String cpu(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, v < 1 ? "%.3f" : v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
    }

    public static String alloc(double v) {
        if (Double.isNaN(v) || v < 0) {
            return "—";
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.0f", v);
    }

    /** Ratio as {@code 1.07×}. */
    public static String ratio(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.2f×", v);
    }

    public static String percent(double fraction) {
        if (Double.isNaN(fraction)) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.0f%%", fraction * 100);
    }
}
