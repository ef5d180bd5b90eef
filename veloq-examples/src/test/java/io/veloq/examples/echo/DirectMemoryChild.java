package io.veloq.examples.echo;

import io.veloq.api.EventLoop;
import io.veloq.api.IoRuntime;
import io.veloq.api.buffer.BufPool;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Nop;

import java.util.ArrayList;
import java.util.List;

/**
 * Run in a JVM with little direct memory by {@link EchoServerMemoryTest}: opens a two-loop runtime with the
 * default pools, leases from loop 1 until its pool cannot grow, and shows the loop still works.
 */
public final class DirectMemoryChild {
    private DirectMemoryChild() {
    }

    public static void main(String[] args) {
        try (IoRuntime rt = IoRuntime.builder().driver(args[0]).threads(2).open()) {
            System.out.println("OPENED " + rt.loop(0).bufPool() + " / " + rt.loop(1).bufPool());
            EventLoop loop = rt.loop(1);
            BufPool pool = loop.bufPool();
            List<FixedBuf> held = new ArrayList<>();
            try {
                while (true) {
                    held.add(pool.lease());
                }
            } catch (IllegalStateException e) {
                System.out.println("LEASE FAILED after " + held.size() + ": " + e.getMessage());
            }
            System.out.println("TRYLEASE " + pool.tryLease());
            held.remove(held.size() - 1).release();
            held.add(pool.lease()); // what the pool holds still serves
            System.out.println("NOP " + loop.call(new Nop()).valueOrThrow());
            held.forEach(FixedBuf::release);
            System.out.println("DONE outstanding=" + pool.outstanding());
        } catch (Throwable t) {
            System.out.println("CHILD FAILED: " + t);
            t.printStackTrace(System.out);
            System.exit(2);
        }
    }
}
