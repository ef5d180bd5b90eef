package io.veloq.bench;

import java.util.ArrayList;
import java.util.List;

/** The echo scenarios. */
public enum Scenario {
    LATENCY("latency", "latency: 1 connection x depth 1 x 64 B", 1, 1, 64, false),
    TP64X1("tp64x1", "throughput: 64 connections x depth 1 x 64 B", 64, 1, 64, false),
    TP64X16("tp64x16", "throughput: 64 connections x depth 16 x 64 B", 64, 16, 64, false),
    TP16X4K("tp16x4k", "throughput: 16 connections x depth 1 x 4 KiB", 16, 1, 4096, false),
    CHURN("churn", "connection churn: 8 concurrent x (connect, one 64 B echo, close)", 8, 1, 64, true);

    public final String id;
    public final String title;
    public final int connections;
    public final int depth;
    public final int messageSize;
    public final boolean churn;

    Scenario(String id, String title, int connections, int depth, int messageSize, boolean churn) {
        this.id = id;
        this.title = title;
        this.connections = connections;
        this.depth = depth;
        this.messageSize = messageSize;
        this.churn = churn;
    }

    public static Scenario byId(String id) {
        for (Scenario s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + id + "', known: " + ids());
    }

    public static List<String> ids() {
        List<String> l = new ArrayList<>();
        for (Scenario s : values()) {
            l.add(s.id);
        }
        return l;
    }
}
