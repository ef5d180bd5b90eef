package io.veloq.api;

import io.veloq.api.op.OpPayload;

/**
 * The platform-specific steps around an op, supplied by each driver so that api code never branches on
 * the OS. The runtime host calls them; applications rarely need to.
 *
 * <ul>
 *   <li>{@link #preAlloc} runs before the op is handed to the driver. Windows' AcceptEx needs the socket
 *       for the incoming connection created in advance: the IOCP driver's Accept lifecycle creates it
 *       here. On Linux it does nothing and returns {@link #NONE}.</li>
 *   <li>{@link #intoOutput} combines the completion result with what was pre-allocated into the op's
 *       final value (Linux: the fd the kernel returned; Windows: the pre-created socket, after the
 *       addresses are parsed out of AcceptEx's buffer).</li>
 *   <li>{@link #discard} frees what was pre-allocated when the op fails or is cancelled, so nothing
 *       leaks.</li>
 * </ul>
 *
 * <pre>{@code
 * OpLifecycle<Accept> acceptEx = new OpLifecycle<>() {
 *     public long preAlloc(Accept a) throws VeloqIoException { return createSocketLike(a.fd()); }
 *     public long intoOutput(Accept a, long socket, long result) throws VeloqIoException {
 *         updateAcceptContext(socket, a.fd()); parsePeer(a.peer()); return socket;
 *     }
 *     public void discard(Accept a, long socket) { closeSocket(socket); }
 * };
 * }</pre>
 *
 * @param <P> the payload type
 * @since 0.1
 */
public interface OpLifecycle<P extends OpPayload> {
    /** "Nothing was pre-allocated." */
    long NONE = -1;

    /** Runs before submission; returns a handle or {@link #NONE}. Runs on the loop thread. */
    long preAlloc(P payload) throws VeloqIoException;

    /** Turns a successful result into the op's value. Runs on the loop thread. */
    long intoOutput(P payload, long preAllocated, long result) throws VeloqIoException;

    /** Frees what {@link #preAlloc} made after a failure or cancellation. Runs on the loop thread. */
    void discard(P payload, long preAllocated);

    /** The lifecycle with no platform work: no pre-allocation; the result is the value. */
    @SuppressWarnings("unchecked")
    static <P extends OpPayload> OpLifecycle<P> direct() {
        return (OpLifecycle<P>) Direct.INSTANCE;
    }

    /** The shared {@link #direct()} lifecycle. */
    final class Direct implements OpLifecycle<OpPayload> {
        static final Direct INSTANCE = new Direct();

        private Direct() {
        }

        @Override
        public long preAlloc(OpPayload payload) {
            return NONE;
        }

        @Override
        public long intoOutput(OpPayload payload, long preAllocated, long result) {
            return result;
        }

        @Override
        public void discard(OpPayload payload, long preAllocated) {
            // nothing was allocated
        }
    }
}
