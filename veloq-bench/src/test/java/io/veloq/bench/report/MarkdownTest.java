package io.veloq.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownTest {

    static final Markdown.Style STYLE = new Markdown.Style("server", "msgs/s", "msg",
            List.of("netty-uring", "nio"), true, true, "server", 0.3);

    static RunRecord run(double seconds, long ops, double cpuSeconds, double clientCpuSeconds, double p99) {
        RunRecord r = new RunRecord();
        r.seconds = seconds;
        r.ops = ops;
        r.bytes = ops * 64;
        r.cpuSeconds = cpuSeconds;
        r.clientCpuSeconds = clientCpuSeconds;
        r.otherCpuSeconds = 0.01;
        r.p50Us = p99 / 2;
        r.p99Us = p99;
        r.p999Us = p99 * 2;
        r.loopAllocBytes = 0;
        return r;
    }

    static Table sample() {
        Table t = new Table("echo", "tp64x1", "throughput");
        Row nio = t.rowOrAdd("nio");
        nio.runs.add(run(1, 200_000, 2.0, 0.5, 100)); // 10 µs/msg
        nio.runs.add(run(1, 220_000, 2.42, 0.95, 120)); // 11 µs/msg, client saturated
        nio.runs.add(run(1, 180_000, 2.16, 0.5, 80)); // 12 µs/msg
        Row uring = t.rowOrAdd("netty-uring");
        uring.runs.add(run(2, 200_000, 2.5, 1.0, 90)); // 100k/s, 12.5 µs/msg
        t.rows.add(Row.unavailable("veloq", "not available yet"));
        return t;
    }

    private static String[] cells(String table, String rowName) {
        for (String line : table.split("\n")) {
            if (line.startsWith("| " + rowName + " |")) {
                String[] c = line.substring(1, line.length() - 1).split(" \\| ");
                for (int i = 0; i < c.length; i++) {
                    c[i] = c[i].trim();
                }
                return c;
            }
        }
        throw new AssertionError("no row " + rowName + " in\n" + table);
    }

    @Test
    void rowsShowMediansAndRatiosToBothReferences() {
        String md = Markdown.table(sample(), STYLE);
        String[] head = cells(md, "server");
        assertEquals("msgs/s", head[1]);
        assertEquals("server CPU µs/msg (= s per M msgs)", head[6]);
        assertEquals("msgs/s ÷ netty-uring", head[8]);
        assertEquals("CPU/msg ÷ nio", head[11]);

        String[] nio = cells(md, "nio");
        assertEquals(head.length, nio.length);
        assertEquals("200,000", nio[1]); // median of 180k, 200k, 220k
        assertEquals("12.8", nio[2]); // 200k x 64 B = 12.8 MB/s
        assertEquals("50.0", nio[3]);
        assertEquals("100", nio[4]);
        assertEquals("11.0", nio[6]); // median of 10, 11, 12 µs/msg
        assertEquals("0.00", nio[7]);
        assertEquals("2.00×", nio[8]); // 200k / 100k
        assertEquals("0.88×", nio[9]); // 11 / 12.5
        assertEquals("1.00×", nio[10]);
        assertEquals("1.00×", nio[11]);
        assertEquals("50%", nio[12]);
        assertTrue(nio[13].contains("client saturated 1/3"), nio[13]);
        assertTrue(nio[13].contains("CPU/msg spread 18%"), nio[13]); // (12 - 10) / 11
        assertTrue(nio[13].contains("median of 3"), nio[13]);

        String[] uring = cells(md, "netty-uring");
        assertEquals("100,000", uring[1]);
        assertEquals("12.5", uring[6]);
        assertEquals("0.50×", uring[10]);
        assertEquals("1.14×", uring[11]); // 12.5 / 11
        assertEquals("50%", uring[12]);
    }

    @Test
    void unavailableRowSaysSoAndHasNoFigures() {
        String md = Markdown.table(sample(), STYLE);
        String[] veloq = cells(md, "veloq");
        assertEquals("veloq: not available yet", veloq[veloq.length - 1]);
        for (int i = 1; i < veloq.length - 1; i++) {
            assertEquals("—", veloq[i]);
        }
    }

    @Test
    void missingReferenceGivesDashesNotNumbers() {
        Table t = new Table("echo", "x", "x");
        t.rowOrAdd("nio").runs.add(run(1, 1000, 0.01, 0.1, 10));
        t.rows.add(Row.unavailable("netty-uring", "io_uring unavailable"));
        String[] nio = cells(Markdown.table(t, STYLE), "nio");
        assertEquals("—", nio[8]);
        assertEquals("—", nio[9]);
        assertEquals("1.00×", nio[10]);
    }

    @Test
    void failedRunsAreReportedWithTheirReason() {
        Table t = new Table("echo", "x", "x");
        Row r = t.rowOrAdd("nio");
        r.failedRuns = 2;
        r.firstFailure = "echoed byte differs";
        String[] c = cells(Markdown.table(t, STYLE), "nio");
        assertEquals("nio: failed: echoed byte differs", c[c.length - 1]);
    }

    @Test
    void numberFormats() {
        assertEquals("1,234,568", Markdown.rate(1_234_567.6));
        assertEquals("—", Markdown.rate(Double.NaN));
        assertEquals("0.762", Markdown.cpu(0.7623));
        assertEquals("1.23", Markdown.cpu(1.234));
        assertEquals("12.7", Markdown.cpu(12.71));
        assertEquals("127", Markdown.cpu(127.1));
        assertEquals("0.42", Markdown.micros(0.4234));
        assertEquals("62.3", Markdown.micros(62.31));
        assertEquals("2413", Markdown.micros(2413.2));
        assertEquals("1.07×", Markdown.ratio(1.0666));
        assertEquals("91%", Markdown.percent(0.912));
        assertEquals("3.14", Markdown.mb(3.14159));
        assertEquals("128.5", Markdown.mb(128.49));
    }

    @Test
    void pipesInTextDoNotBreakTheTable() {
        Table t = new Table("echo", "x", "x");
        t.rows.add(Row.unavailable("odd", "a | b"));
        String md = Markdown.table(t, STYLE);
        assertTrue(md.contains("odd: a \\| b"), md);
    }
}
