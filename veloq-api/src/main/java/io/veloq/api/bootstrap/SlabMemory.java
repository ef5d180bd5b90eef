package io.veloq.api.bootstrap;

import java.nio.ByteBuffer;

/**
 * Where a {@link io.veloq.api.buffer.BufPool} gets its slabs. Drivers may supply one that maps memory
 * themselves so that it is freed deterministically when the pool closes.
 */
public interface SlabMemory {
    /** A native-order direct buffer of exactly {@code bytes}, page-aligned. */
    ByteBuffer allocate(int bytes);

    /** Frees a slab from {@link #allocate}; it is never touched again. */
    void free(ByteBuffer slab);

    /** Direct JDK buffers, page-aligned by slicing; freed by the JDK when unreachable. */
    SlabMemory DIRECT = new SlabMemory() {
        @Override
        public ByteBuffer allocate(int bytes) {
            // alignedSlice rounds the end down to a page as well as the start up, so reserve whole pages
            // plus one page of slack for the start; then cut the slab to the size asked for.
            long pages = ((long) bytes + 4095) / 4096;
            return ByteBuffer.allocateDirect(Math.toIntExact((pages + 1) * 4096)).alignedSlice(4096).limit(bytes).slice()
                    .order(java.nio.ByteOrder.nativeOrder());
        }

        @Override
        public void free(ByteBuffer slab) {
            // The JDK frees it once unreachable; BufPool drops every reference on close.
        }
    };
}
