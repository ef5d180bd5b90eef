package io.veloq.nio2.internal;

import io.veloq.api.EventLoop;
import io.veloq.api.IoFd;
import io.veloq.api.Op;
import io.veloq.api.OpState;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.op.Accept;
import io.veloq.api.op.Close;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.AcceptPendingException;
import java.nio.channels.AlreadyBoundException;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.NotYetBoundException;
import java.nio.channels.ShutdownChannelGroupException;
import java.nio.channels.UnsupportedAddressTypeException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;

/**
 * An {@link AsynchronousServerSocketChannel} on a Veloq loop: one reusable {@link Accept} op; each accepted
 * connection becomes a channel on the next loop of the group (round robin), so connections spread over
 * the group's threads.
 */
final class VeloqServerChannel extends AsynchronousServerSocketChannel {
    private final VeloqGroup group;
    private final Carrier carrier;
    private final EventLoop loop;
    private final IoFd fd;
    private final AddressFamily family;
    private final Object lock = new Object();
    private final Op<Accept> acceptOp;

    // Guarded by lock.
    private boolean open = true;
    private boolean accepting;
    private boolean acceptKilled;
    private InetSocketAddress local;
    private CompletionHandler<AsynchronousSocketChannel, Object> handler;
    private Object attachment;
    private PendingFuture<?> future;

    VeloqServerChannel(VeloqGroup group, Carrier carrier, IoFd fd, AddressFamily family) throws IOException {
        super(group.provider());
        this.group = group;
        this.carrier = carrier;
        this.loop = carrier.loop();
        this.fd = fd;
        this.family = family;
        this.acceptOp = Op.of(new Accept(fd, SockAddrStorage.allocate(loop.addressLayout())), this::accepted);
        try {
            loop.setOption(fd, StandardSocketOptions.SO_REUSEADDR, true); // as the JDK's server sockets on Unix
            group.register(this);
        } catch (IOException | RuntimeException e) {
            loop.submit(Op.of(new Close(fd), op -> { }));
            throw e;
        }
    }

    @Override
    public AsynchronousServerSocketChannel bind(SocketAddress address, int backlog) throws IOException {
        if (address != null && !(address instanceof InetSocketAddress)) {
            throw new UnsupportedAddressTypeException();
        }
        InetSocketAddress isa = address == null ? new InetSocketAddress(0) : Net.checkAddress(address, family);
        synchronized (lock) {
            requireOpen();
            if (local != null) {
                throw new AlreadyBoundException();
            }
            loop.bind(fd, Net.forSocket(isa, family));
            loop.listen(fd, backlog < 1 ? 50 : backlog);
            local = Net.localAddress(loop, fd);
        }
        return this;
    }

    @Override
    public <T> AsynchronousServerSocketChannel setOption(SocketOption<T> name, T value) throws IOException {
        Net.checkOption(Net.SERVER_OPTIONS, name, value);
        synchronized (lock) {
            requireOpen();
        }
        loop.setOption(fd, name, value);
        return this;
    }

    @Override
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Net.checkGetOption(Net.SERVER_OPTIONS, name);
        synchronized (lock) {
            requireOpen();
        }
        return Net.asJdkReports(loop, name, loop.getOption(fd, name));
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return Net.SERVER_OPTIONS;
    }

    @Override
    public SocketAddress getLocalAddress() throws IOException {
        synchronized (lock) {
            requireOpen();
            return local;
        }
    }

    @Override
    public boolean isOpen() {
        synchronized (lock) {
            return open;
        }
    }

    private void requireOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }

    // ---- accept ----

    @Override
    public <A> void accept(A attachment, CompletionHandler<AsynchronousSocketChannel, ? super A> handler) {
        Objects.requireNonNull(handler, "'handler' is null");
        startAccept(attachment, handler, null);
    }

    @Override
    public Future<AsynchronousSocketChannel> accept() {
        PendingFuture<AsynchronousSocketChannel> f = new PendingFuture<>();
        startAccept(null, f, f);
        return f;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void startAccept(Object att, CompletionHandler h, PendingFuture<?> f) {
        synchronized (lock) {
            if (open) {
                if (local == null) {
                    throw new NotYetBoundException();
                }
                if (acceptKilled) {
                    throw new IllegalStateException("Accept not allowed due to cancellation");
                }
                if (accepting) {
                    throw new AcceptPendingException();
                }
                accepting = true;
                handler = h;
                attachment = att;
                future = f;
                if (f != null) {
                    f.canceller(this::cancelAccept);
                }
                acceptOp.payload().peer().prepareForReceive();
                loop.submit(acceptOp);
                return;
            }
        }
        group.completeLater(carrier, h, att, null, new ClosedChannelException());
    }

    private void cancelAccept(PendingFuture<?> f, boolean interrupt) {
        synchronized (lock) {
            if (future != f) {
                return;
            }
            acceptKilled = true;
        }
        loop.cancel(acceptOp);
        if (interrupt) {
            try {
                close();
            } catch (IOException ignored) {
                // the cancellation is what the caller asked for
            }
        }
    }

    private void accepted(Op<Accept> op) {
        AsynchronousSocketChannel channel = null;
        Throwable failure = null;
        boolean isOpen;
        synchronized (lock) {
            isOpen = open;
        }
        if (op.isSuccess()) {
            IoFd conn = IoFd.raw(op.result());
            if (!isOpen) {
                loop.submit(Op.of(new Close(conn), c -> { }));
                failure = new java.nio.channels.AsynchronousCloseException();
            } else {
                InetSocketAddress peer = null;
                try {
                    peer = Net.unmapped((InetSocketAddress) op.payload().peer().toSocketAddress());
                } catch (Throwable e) { // no channel owns the descriptor yet: close it here
                    loop.submit(Op.of(new Close(conn), c -> { }));
                    failure = e;
                }
                if (peer != null) {
                    try {
                        channel = new VeloqSocketChannel(group, group.nextCarrier(), conn, family, peer);
                    } catch (ShutdownChannelGroupException e) {
                        failure = new IOException(e); // the JDK's wording: the group is shut down, the connection is closed
                    } catch (Throwable e) {
                        // An Error too: the handler must hear of it, or this channel stays "accepting" forever and
                        // every later accept() throws AcceptPendingException while the backlog fills.
                        failure = e;
                    }
                }
            }
        } else {
            failure = Net.failure(op.error(), !isOpen);
        }
        op.reset();
        CompletionHandler<AsynchronousSocketChannel, Object> h;
        Object att;
        synchronized (lock) {
            h = handler;
            att = attachment;
            handler = null;
            attachment = null;
            future = null;
            accepting = false;
        }
        group.complete(h, att, channel, failure);
    }

    @Override
    public void close() throws IOException {
        synchronized (lock) {
            if (!open) {
                return;
            }
            open = false;
        }
        if (acceptOp.state() == OpState.SUBMITTED) {
            loop.cancel(acceptOp);
        }
        CountDownLatch done = new CountDownLatch(1);
        try {
            loop.submit(Op.of(new Close(fd), c -> {
                group.unregister(this);
                done.countDown();
            }));
        } catch (IllegalStateException loopClosed) {
            group.unregister(this);
            return;
        }
        if (!carrier.inLoop()) {
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "VeloqServerChannel[" + fd + (isOpen() ? "" : ", closed") + ", local=" + local + "]";
    }
}
