package io.veloq.bench.report;

import java.util.ArrayList;
import java.util.List;

/** A scenario's table: its rows in display order. */
public final class Table {
    public final String part;
    public final String id;
    public final String title;
    public final List<Row> rows = new ArrayList<>();

    public Table(String part, String id, String title) {
        this.part = part;
        this.id = id;
        this.title = title;
    }

    public Row row(String name) {
        for (Row r : rows) {
            if (r.name.equals(name)) {
                return r;
            }
        }
        return null;
    }

    public Row rowOrAdd(String name) {
        Row r = row(name);
        if (r == null) {
            r = new Row(name);
            rows.add(r);
        }
        return r;
    }
}
