package io.veloq.examples;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;

/**
 * The {@code ./veloq} command line: picks the subcommand and runs it.
 *
 * <pre>{@code
 * java --enable-native-access=org.jnrproject.jffi -p veloq-examples/target/modules \
 *      -m veloq.examples/io.veloq.examples.Main demo
 * }</pre>
 *
 * <p>{@code echo-server} and {@code echo-client} are looked up by class name, so this dispatcher builds
 * (and says so clearly) before the echo example exists.
 */
public final class Main {
    static final String ECHO_SERVER = "io.veloq.examples.echo.EchoServerMain";
    static final String ECHO_CLIENT = "io.veloq.examples.echo.EchoClientMain";
    static final String XDP_REFLECT = "io.veloq.examples.xdp.XdpReflectMain";
    static final String HTTP_SERVER = "io.veloq.examples.http.HttpServerMain";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs one subcommand; returns the process exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (command) {
            case "doctor":
                return new Doctor(out).run(rest);
            case "demo":
                return new Demo(out, err).run(rest);
            case "echo-server":
                return delegate(ECHO_SERVER, command, rest, err);
            case "echo-client":
                return delegate(ECHO_CLIENT, command, rest, err);
            case "xdp-reflect":
                return delegate(XDP_REFLECT, command, rest, err);
            case "http-server":
                return delegate(HTTP_SERVER, command, rest, err);
            case "bench":
                err.println("bench is run by the launcher, not by this module: ./veloq bench [--quick] "
                        + "(it delegates to veloq-bench/run-bench.sh)");
                return 2;
            case "help":
            case "-h":
            case "--help":
                help(out);
                return 0;
            default:
                err.println("veloq: unknown command '" + command + "'");
                help(err);
                return 2;
        }
    }

    static void help(PrintStream out) {
        out.println("usage: ./veloq <command> [options]");
        out.println();
        out.println("  doctor                 drivers found (available or not, and why), JDK, OS, kernel, io_uring checks");
        out.println("  demo [--driver ID]     runs a Nop, a Timeout and a loopback Send/Recv round trip");
        out.println("  echo-server [...]      the echo server example (" + ECHO_SERVER + ")");
        out.println("  echo-client [...]      the echo client example (" + ECHO_CLIENT + ")");
        out.println("  http-server --dir DIR [--port P]   static files over HTTP/1.1 (" + HTTP_SERVER + ")");
        out.println("  xdp-reflect --iface IF [--queue Q] [--udp-port P]   AF_XDP UDP reflector (root; README)");
        out.println("  bench [--quick ...]    benchmarks against NIO and Netty (veloq-bench/run-bench.sh)");
        out.println("  help                   this text");
        out.println();
        out.println("The driver is the best available: io_uring on Linux, IOCP on Windows, else the pure-Java nio");
        out.println("driver (macOS, or a container whose seccomp profile blocks io_uring; doctor says why). Name one");
        out.println("with --driver or -Dveloq.driver=ID (uring, iocp, nio; fake with the testkit on the module path).");
        out.println();
        out.println("Launcher (./veloq) environment:");
        out.println("  VELOQ_JAVA_OPTS        JVM options, e.g. -Dveloq.driver=nio or -Xmx64m");
        out.println("  VELOQ_MODULE_PATH      extra module-path entries (your driver or app jars), ':'-separated;");
        out.println("                         or --module-path-add PATH before the command, repeatable");
        out.println("  VELOQ_NO_BUILD=1       never run Maven");
    }

    /** Runs {@code className.main(rest)}, a class that may not be written yet. */
    private static int delegate(String className, String command, String[] rest, PrintStream err) throws Exception {
        Class<?> type;
        try {
            type = Class.forName(className, true, Main.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            err.println("veloq: '" + command + "' is not built yet: " + className
                    + " is not in the veloq.examples module (the networking example, issue 6)");
            return 3;
        }
        Method main = type.getMethod("main", String[].class);
        if (!Modifier.isStatic(main.getModifiers())) {
            err.println("veloq: " + className + ".main(String[]) is not static");
            return 3;
        }
        try {
            main.invoke(null, (Object) rest);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error er) {
                throw er;
            }
            throw e;
        }
        return 0;
    }
}
