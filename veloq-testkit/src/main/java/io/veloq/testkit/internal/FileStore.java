package io.veloq.testkit.internal;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulated file system: a flat map from absolute normalised paths to in-memory inodes. Every
 * directory exists. Guarded by the kernel's lock.
 */
final class FileStore {
    static final class Inode {
        byte[] data = new byte[0];
        int size;
        long syncs;

        void ensure(long end) {
            if (end > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("simulated files are limited to 2 GiB");
            }
            if (end > data.length) {
                data = Arrays.copyOf(data, (int) Math.max(end, Math.min(Integer.MAX_VALUE - 8, data.length * 2L)));
            }
        }

        byte[] content() {
            return Arrays.copyOf(data, size);
        }
    }

    private final Map<String, Inode> files = new TreeMap<>();

    Inode get(String path) {
        return files.get(path);
    }

    Inode create(String path) {
        Inode i = new Inode();
        files.put(path, i);
        return i;
    }

    boolean delete(String path) {
        return files.remove(path) != null;
    }

    Map<String, Inode> all() {
        return files;
    }
}
