package io.veloq.bench;

import io.veloq.bench.sys.SyscallCounter;

/** Syscalls per echoed message of one server (separate short run). */
final class SyscallRow {
    final String server;
    String status;
    SyscallCounter.Counts counts;
    long messages;
    double seconds;

    SyscallRow(String server) {
        this.server = server;
    }

    double perMessage() {
        if (counts == null || counts.total() < 0 || messages <= 0) {
            return Double.NaN;
        }
        return (double) counts.total() / messages;
    }
}
