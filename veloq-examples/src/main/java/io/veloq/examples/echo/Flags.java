package io.veloq.examples.echo;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} command-line flags: parsed once, read by name with a default, and refused with a
 * message naming the flag when unknown, missing a value or not a number.
 */
public final class Flags {
    /** A usage error: the message is for the user; the command exits with {@link #EXIT_USAGE}. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** sysexits.h EX_USAGE. */
    public static final int EXIT_USAGE = 64;

    private final Map<String, String> values = new LinkedHashMap<>();
    private final String command;

    private Flags(String command) {
        this.command = command;
    }

    public static Flags parse(String command, String[] args, Set<String> known) throws UsageException {
        Flags f = new Flags(command);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                f.values.put("help", "true");
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + a + "' (flags are --name value)");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.length) {
                    throw new UsageException(command + ": flag --" + name + " needs a value");
                }
                value = args[++i];
            }
            if (!known.contains(name)) {
                throw new UsageException(command + ": unknown flag --" + name + "; known: --" + String.join(", --", known));
            }
            f.values.put(name, value);
        }
        return f;
    }

    public boolean help() {
        return values.containsKey("help");
    }

    public String string(String name, String dflt) {
        return values.getOrDefault(name, dflt);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public int integer(String name, int dflt, int min, int max) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(command + ": --" + name + " must be in " + min + ".." + max + ", got " + n);
        }
        return n;
    }

    /** A duration given in seconds (decimals allowed, 0 allowed), at most a day. */
    java.time.Duration seconds(String name, java.time.Duration dflt) throws UsageException {
        if (!has(name)) {
            return dflt;
        }
        double s = decimal(name, 0, 0);
        if (s > 86_400) {
            throw new UsageException(command + ": --" + name + " must be at most 86400 seconds (a day), got " + s);
        }
        return java.time.Duration.ofNanos(Math.round(s * 1e9));
    }

    public double decimal(String name, double dflt, double min) throws UsageException {
        String v = values.get(name);
        if (v == null) {
            return dflt;
        }
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, got '" + v + "'");
        }
        if (!(d >= min)) {
            throw new UsageException(command + ": --" + name + " must be >= " + min + ", got " + v);
        }
        return d;
    }
}
