package io.veloq.api.internal.stream;

import io.veloq.api.buffer.FixedBuf;

import java.io.IOException;

/** Leasing a view's buffer, with an I/O error a stream caller can handle when the pool is exhausted. */
final class Leases {
    private Leases() {
    }

    static FixedBuf lease(Transport transport, String side) throws IOException {
        try {
            return transport.viewBuffers().lease();
        } catch (IllegalStateException exhausted) {
            throw new IOException("no buffer for the " + side + " stream of " + transport.describe() + ": "
                    + exhausted.getMessage(), exhausted);
        }
    }
}
