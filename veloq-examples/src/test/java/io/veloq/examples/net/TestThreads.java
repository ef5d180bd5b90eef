package io.veloq.examples.net;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * The kinds of threads the blocking tests run on: plain threads always, virtual threads when the JDK has
 * them (21+; the build is release 17, so they are reached reflectively). On JDK 17 the same tests run on
 * plain threads only.
 */
final class TestThreads {
    private TestThreads() {
    }

    /** "plain", and "virtual" on JDK 21+. */
    static List<String> kinds() {
        List<String> kinds = new ArrayList<>();
        kinds.add("plain");
        if (virtualFactory() != null) {
            kinds.add("virtual");
        }
        return kinds;
    }

    /** Every test driver with every thread kind, for {@code @MethodSource}. */
    static Stream<Arguments> driversAndThreads() {
        List<Arguments> args = new ArrayList<>();
        TestDrivers.all().forEach(d -> {
            for (String k : kinds()) {
                args.add(Arguments.of(d, k));
            }
        });
        return args.stream();
    }

    static ThreadFactory factory(String kind) {
        if (kind.equals("plain")) {
            return r -> {
                Thread t = new Thread(r, "plain-test-thread");
                t.setDaemon(true);
                return t;
            };
        }
        ThreadFactory f = virtualFactory();
        if (f == null) {
            throw new IllegalStateException("virtual threads need JDK 21+, this is " + Runtime.version());
        }
        return f;
    }

    /** {@code Thread.ofVirtual().factory()}, or null before JDK 21. */
    private static ThreadFactory virtualFactory() {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (NoSuchMethodException jdk17) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot make a virtual-thread factory", e);
        }
    }

    /** True if {@code t} is a virtual thread (always false before JDK 21). */
    static boolean isVirtual(Thread t) {
        try {
            return (boolean) Thread.class.getMethod("isVirtual").invoke(t);
        } catch (NoSuchMethodException jdk17) {
            return false;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
