package io.veloq.api.net;

import io.veloq.api.Completer;
import io.veloq.api.Completion;
import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.VeloqIoException;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.op.Connect;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.SendTo;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.net.SocketOption;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A UDP socket, IPv4 or IPv6 (bound to {@code ::} it is dual stack: IPv4 senders arrive as plain IPv4
 * addresses, and IPv4 destinations are mapped to {@code ::ffff:a.b.c.d} for the kernel). Datagrams go out
 * with {@code sendTo} and come in with {@code recvFrom}; after {@link #connect} the plain
 * {@link #send(FixedBuf)}/{@link #recv(FixedBuf)} of {@link DataSocket} talk to that one peer.
 *
 * <pre>{@code
 * try (UdpSocket a = UdpSocket.bind(loop, new InetSocketAddress("::1", 0));
 *      UdpSocket b = UdpSocket.bind(loop, new InetSocketAddress("::1", 0))) {
 *     buf.put(hello);
 *     a.sendTo(buf, b.localAddress());                  // blocking shape
 *     buf.clear();
 *     SocketAddress from = b.recvFrom(buf);             // the sender; the datagram is in buf
 * }
 * // allocation-free completer shape: one op and one address storage, reused
 * SockAddrStorage from = SockAddrStorage.allocate();
 * Op<RecvFrom> rx = sock.recvFromOp(buf, from, op -> { ...; loop.resubmit(op); });
 * }</pre>
 *
 * @since 0.1
 */
public final class UdpSocket extends DataSocket {
    UdpSocket(EventLoop loop, IoFd fd, AddressFamily family) {
        super(loop, fd, family);
    }

    /** Binds a UDP socket to {@code local} (port 0: any free port) and waits. */
    public static UdpSocket bind(EventLoop loop, SocketAddress local) throws IOException {
        return binder(loop).bind(local);
    }

    /** A builder for options ({@code SO_BROADCAST}, {@code IP_MULTICAST_*}, buffer sizes ...). */
    public static Builder binder(EventLoop loop) {
        return new Builder(loop);
    }

    // ---- connect (fixes the peer for send/recv) ----

    /** Connects to {@code remote} and waits: {@code send}/{@code recv} then talk to it only. */
    public void connect(SocketAddress remote) throws IOException {
        callTracked(new Connect(fd, store(remote))).valueOrThrow();
    }

    /** Connects to {@code remote}. */
    public CompletableFuture<Completion<Connect>> connectAsync(SocketAddress remote) {
        requireOpenUnchecked("connect");
        return submitTrackedAsync(new Connect(fd, store(remote)));
    }

    /** Connects to {@code remote}; {@code completer} runs on the loop thread. */
    public Op<Connect> connect(SocketAddress remote, Completer<Connect> completer) {
        requireOpenUnchecked("connect");
        return submitTracked(new Connect(fd, store(remote)), completer);
    }

    // ---- sendTo ----

    /**
     * A reusable send of {@code buf}'s readable bytes as one datagram to the address in {@code to}; change
     * the storage's content between submissions to send elsewhere without allocating.
     */
    public Op<SendTo> sendToOp(FixedBuf buf, SockAddrStorage to, Completer<SendTo> completer) {
        return reusable(new SendTo(fd, buf, to), completer);
    }

    /** Sends one datagram to {@code target}; {@code completer} runs on the loop thread. */
    public Op<SendTo> sendTo(FixedBuf buf, SocketAddress target, Completer<SendTo> completer) {
        requireOpenUnchecked("sendTo");
        return submitTracked(new SendTo(fd, buf, store(target)), completer);
    }

    /** Sends one datagram to {@code target}. */
    public CompletableFuture<Completion<SendTo>> sendToAsync(FixedBuf buf, SocketAddress target) {
        requireOpenUnchecked("sendTo");
        return submitTrackedAsync(new SendTo(fd, buf, store(target)));
    }

    /** Sends one datagram to {@code target} and waits; returns the byte count. */
    public int sendTo(FixedBuf buf, SocketAddress target) throws IOException {
        return (int) callTracked(new SendTo(fd, buf, store(target))).valueOrThrow();
    }

    /**
     * Sends one datagram to {@code target}, waiting at most {@code timeout}, in place of the socket's write
     * timeout; returns the byte count.
     *
     * @throws java.net.SocketTimeoutException when the datagram could not be sent in time
     * @since 0.2
     */
    public int sendTo(FixedBuf buf, SocketAddress target, Duration timeout) throws IOException {
        return (int) callTracked(new SendTo(fd, buf, store(target)), timeout).valueOrThrow();
    }

    // ---- recvFrom ----

    /** A reusable receive of one datagram into {@code buf}; the sender's address is written into {@code from}. */
    public Op<RecvFrom> recvFromOp(FixedBuf buf, SockAddrStorage from, Completer<RecvFrom> completer) {
        return reusable(new RecvFrom(fd, buf, from.prepareForReceive()), completer);
    }

    /** Receives one datagram; the sender is in {@code op.payload().from()}. */
    public Op<RecvFrom> recvFrom(FixedBuf buf, Completer<RecvFrom> completer) {
        requireOpenUnchecked("recvFrom");
        return submitTracked(new RecvFrom(fd, buf, newFrom()), completer);
    }

    /** Receives one datagram; the sender is in {@code completion.payload().from()}. */
    public CompletableFuture<Completion<RecvFrom>> recvFromAsync(FixedBuf buf) {
        requireOpenUnchecked("recvFrom");
        return submitTrackedAsync(new RecvFrom(fd, buf, newFrom()));
    }

    /** Receives one datagram into {@code buf} and waits; returns the sender's address. */
    public SocketAddress recvFrom(FixedBuf buf) throws IOException {
        SockAddrStorage from = newFrom();
        callTracked(new RecvFrom(fd, buf, from)).valueOrThrow();
        return from.toSocketAddress();
    }

    /**
     * Receives one datagram into {@code buf}, waiting at most {@code timeout}, in place of the socket's read
     * timeout; returns the sender's address.
     *
     * <pre>{@code
     * SocketAddress from = udp.recvFrom(buf, Duration.ofMillis(500));   // SocketTimeoutException: no reply in time
     * }</pre>
     *
     * @throws java.net.SocketTimeoutException when no datagram arrived in time; the buffer is the caller's
     * @since 0.2
     */
    public SocketAddress recvFrom(FixedBuf buf, Duration timeout) throws IOException {
        SockAddrStorage from = newFrom();
        callTracked(new RecvFrom(fd, buf, from), timeout).valueOrThrow();
        return from.toSocketAddress();
    }

    private SockAddrStorage newFrom() {
        return SockAddrStorage.allocate(loop.addressLayout()).prepareForReceive();
    }

    private SockAddrStorage store(SocketAddress target) {
        Addresses.requireInet(target, "UdpSocket");
        return Addresses.store(target, family, loop.addressLayout());
    }

    /**
     * Options and bind for a {@link UdpSocket}.
     *
     * <pre>{@code UdpSocket s = UdpSocket.binder(loop).option(StandardSocketOptions.SO_BROADCAST, true).bind(addr);}</pre>
     */
    public static final class Builder {
        private final SocketSetup setup;

        Builder(EventLoop loop) {
            this.setup = new SocketSetup(loop, SocketType.DATAGRAM);
        }

        /** An option set before the bind. */
        public <T> Builder option(SocketOption<T> key, T value) {
            setup.option(key, value);
            return this;
        }

        /** Binds and waits. */
        public UdpSocket bind(SocketAddress local) throws IOException {
            AddressFamily family = prepare(local);
            return new UdpSocket(setup.loop(), setup.openAndWait(family), family);
        }

        /** Binds; the future completes on the loop thread. */
        public CompletableFuture<UdpSocket> bindAsync(SocketAddress local) {
            CompletableFuture<UdpSocket> f = new CompletableFuture<>();
            bind(local, (s, e) -> {
                if (e != null) {
                    f.completeExceptionally(e instanceof VeloqIoException v ? v.toJava() : e);
                } else {
                    f.complete(s);
                }
            });
            return f;
        }

        /** Binds; {@code completer} runs on the loop thread. */
        public void bind(SocketAddress local, Completer.OfValue<UdpSocket> completer) {
            Objects.requireNonNull(completer, "completer");
            AddressFamily family = prepare(local);
            setup.open(family, (fd, e) -> completer.onComplete(
                    e == null ? new UdpSocket(setup.loop(), fd, family) : null, e));
        }

        private AddressFamily prepare(SocketAddress local) {
            Addresses.requireInet(local, "UdpSocket.bind");
            if (Addresses.isIpv6Wildcard(local)) {
                setup.defaultOption(VeloqSocketOptions.IPV6_V6ONLY, false);
            }
            setup.local(local);
            return Addresses.familyOf(local);
        }
    }
}
