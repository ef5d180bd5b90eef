package io.veloq.bench.files;

/**
 * The {@code veloq-readfixed} row: Veloq {@code ReadFixed} (and {@code WriteFixed} + {@code Fsync} for the
 * write test) on the io_uring driver, buffers from the loop's registered pool. See {@link VeloqFileEngine}.
 */
public final class VeloqReadFixedEngine extends VeloqFileEngine {

    public VeloqReadFixedEngine() {
        super(true);
    }

    @Override
    public String name() {
        return FileEngines.VELOQ_READ_FIXED;
    }
}
