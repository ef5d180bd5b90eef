package io.veloq.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * Hand-written SVG bar charts: one panel per scenario, one group of horizontal bars per row (server),
 * one bar per series (e.g. p50 / p99 / p99.9), each panel scaled to its own maximum.
 */
public final class Svg {

    /** A group of bars: the row's label, one value per series, or a status text instead of bars. */
    public record Group(String label, double[] values, String status) {
    }

    /** One panel: its title and groups. */
    public record Panel(String title, List<Group> groups) {
    }

    private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
        "#b07aa1", "#ff9da7"};
    private static final int WIDTH = 960;
    private static final int LABEL_W = 150;
    private static final int VALUE_W = 130;
    private static final int BAR_H = 14;
    private static final int BAR_GAP = 2;
    private static final int GROUP_GAP = 8;

    private Svg() {
    }

    /**
     * Renders a chart.
     *
     * @param series  names of the bars within a group (legend); with one series bars are coloured per group
     * @param unit    unit appended to value labels
     */
    public static String chart(String title, String subtitle, List<String> series, String unit, List<Panel> panels) {
        StringBuilder body = new StringBuilder();
        int y = 54;
        if (series.size() > 1) {
            int x = LABEL_W;
            for (int i = 0; i < series.size(); i++) {
                body.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>", x, y - 10, color(i)));
                body.append(text(x + 16, y, "start", 12, series.get(i), null));
                x += 30 + 8 * series.get(i).length();
            }
            y += 14;
        }
        int barW = WIDTH - LABEL_W - VALUE_W - 10;
        for (Panel p : panels) {
            y += 18;
            body.append(text(10, y, "start", 14, p.title(), "bold"));
            y += 8;
            double max = 0;
            for (Group g : p.groups()) {
                if (g.values() != null) {
                    for (double v : g.values()) {
                        if (!Double.isNaN(v) && v > max) {
                            max = v;
                        }
                    }
                }
            }
            for (int gi = 0; gi < p.groups().size(); gi++) {
                Group g = p.groups().get(gi);
                int bars = g.values() == null ? 1 : g.values().length;
                int groupH = bars * (BAR_H + BAR_GAP) - BAR_GAP;
                body.append(text(LABEL_W - 8, y + groupH / 2 + 4, "end", 12, g.label(), null));
                if (g.values() == null) {
                    body.append(text(LABEL_W, y + BAR_H - 3, "start", 12, g.status() == null ? "no figures"
                            : g.status(), "italic"));
                } else {
                    for (int i = 0; i < bars; i++) {
                        double v = g.values()[i];
                        int by = y + i * (BAR_H + BAR_GAP);
                        if (Double.isNaN(v)) {
                            body.append(text(LABEL_W, by + BAR_H - 3, "start", 11, "n/a", "italic"));
                            continue;
                        }
                        double w = max > 0 ? v / max * barW : 0;
                        String fill = series.size() > 1 ? color(i) : color(gi);
                        body.append(String.format(Locale.ROOT,
                                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>",
                                LABEL_W, by, Math.max(w, 0.5), BAR_H, fill,
                                escape(g.label() + (series.size() > 1 ? " " + series.get(i) : "") + ": "
                                        + format(v) + " " + unit)));
                        body.append(text((int) (LABEL_W + w + 4), by + BAR_H - 3, "start", 11,
                                format(v) + " " + unit, null));
                    }
                }
                y += groupH + GROUP_GAP;
            }
        }
        int height = y + 16;
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\">\n", WIDTH, height, WIDTH, height));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", WIDTH, height));
        sb.append(text(10, 22, "start", 16, title, "bold")).append('\n');
        sb.append(text(10, 40, "start", 11, subtitle, null)).append('\n');
        sb.append(body).append('\n');
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    private static String text(int x, int y, String anchor, int size, String s, String style) {
        String extra = "";
        if ("bold".equals(style)) {
            extra = " font-weight=\"bold\"";
        } else if ("italic".equals(style)) {
            extra = " font-style=\"italic\" fill=\"#666666\"";
        }
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" font-size=\"%d\"%s>%s</text>",
                x, y, anchor, size, extra, escape(s));
    }

    static String format(double v) {
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** XML-escapes text and attribute values; drops characters XML 1.0 forbids. */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&': sb.append("&amp;"); break;
                case '<': sb.append("&lt;"); break;
                case '>': sb.append("&gt;"); break;
                case '"': sb.append("&quot;"); break;
                case '\'': sb.append("&apos;"); break;
                default:
                    if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                        sb.append(c);
                    }
            }
        }
        return sb.toString();
    }
}
