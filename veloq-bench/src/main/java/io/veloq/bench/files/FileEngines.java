package io.veloq.bench.files;

import java.util.List;

/**
 * The registry of file engines. Built in: {@code fc-1thread}, {@code fc-pool32}. The Veloq slots are
 * filled by one class each ({@value #VELOQ_READ_CLASS}, {@value #VELOQ_READ_FIXED_CLASS}: a
 * {@link FileEngine} with a public no-argument constructor); until then they report "not available yet".
 */
public final class FileEngines {

    public static final String FC_ONE_THREAD = "fc-1thread";
    public static final String FC_POOL = "fc-pool32";
    public static final String VELOQ_READ = "veloq-read";
    public static final String VELOQ_READ_FIXED = "veloq-readfixed";
    public static final String VELOQ_READ_CLASS = "io.veloq.bench.files.VeloqReadEngine";
    public static final String VELOQ_READ_FIXED_CLASS = "io.veloq.bench.files.VeloqReadFixedEngine";
    public static final List<String> DEFAULT_ORDER = List.of(FC_ONE_THREAD, FC_POOL, VELOQ_READ, VELOQ_READ_FIXED);

    private FileEngines() {
    }

    public static List<String> names() {
        return DEFAULT_ORDER;
    }

    /** {@code null} when the engine can run here, else why not. */
    public static String unavailableReason(String name) {
        switch (name) {
            case FC_ONE_THREAD:
            case FC_POOL:
                return null;
            case VELOQ_READ:
                return classExists(VELOQ_READ_CLASS) ? null : "not available yet";
            case VELOQ_READ_FIXED:
                return classExists(VELOQ_READ_FIXED_CLASS) ? null : "not available yet";
            default:
                return "unknown engine";
        }
    }

    public static FileEngine create(String name) {
        switch (name) {
            case FC_ONE_THREAD:
                return new FileChannelEngine(false);
            case FC_POOL:
                return new FileChannelEngine(true);
            case VELOQ_READ:
                return reflect(VELOQ_READ_CLASS);
            case VELOQ_READ_FIXED:
                return reflect(VELOQ_READ_FIXED_CLASS);
            default:
                throw new IllegalArgumentException("unknown file engine " + name);
        }
    }

    private static boolean classExists(String cn) {
        try {
            Class.forName(cn, false, FileEngines.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static FileEngine reflect(String cn) {
        try {
            return (FileEngine) Class.forName(cn).getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + cn + ": " + e, e);
        }
    }
}
