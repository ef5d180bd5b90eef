package io.veloq.bench.files;

/**
 * The {@code veloq-read} row: Veloq {@code Read} (and {@code Write} + {@code Fsync} for the write test) on
 * the io_uring driver, buffers from an unregistered pool. See {@link VeloqFileEngine}.
 */
public final class VeloqReadEngine extends VeloqFileEngine {

    public VeloqReadEngine() {
        super(false);
    }

    @Override
    public String name() {
        return FileEngines.VELOQ_READ;
    }
}
