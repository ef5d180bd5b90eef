package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.api.Completion;
import io.veloq.api.IoErrorKind;
import io.veloq.api.IoFd;
import io.veloq.api.buffer.FixedBuf;
import io.veloq.api.net.AddressFamily;
import io.veloq.api.net.SockAddrStorage;
import io.veloq.api.net.SocketType;
import io.veloq.api.op.Connect;
import io.veloq.api.op.Open;
import io.veloq.api.op.OpPayload;
import io.veloq.api.op.ReadFixed;
import io.veloq.api.op.Recv;
import io.veloq.api.op.RecvFrom;
import io.veloq.api.op.SendFile;
import io.veloq.api.op.Socket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Capabilities are checked: an op that needs a capability the driver does not report is refused by the
 * runtime, before the driver sees it, with a {@link IoErrorKind#NOT_SUPPORTED} error naming the capability (and
 * a {@code ReadFixed} with a buffer of the loop's own pool is refused for the driver's lack of registered
 * buffers, not blamed on the buffer). That each reported capability is true is what the {@code optional_}
 * rule of each capability checks. Part of {@link DriverTck}; extend that.
 *
 * @since 0.1
 */
public abstract class CapabilityRules extends OptionRules {
    CapabilityRules() {
    }

    @Test
    public void required_opsOutsideTheCapabilitiesAreRefusedNamingTheCapability() {
        rule(rt -> {
            Map<Capability, Function<FixedBuf, OpPayload>> probes = new LinkedHashMap<>();
            probes.put(Capability.FILE_IO, b -> Open.read(Path.of("veloq-tck-never-opened")));
            probes.put(Capability.REGISTERED_BUFFERS, b -> new ReadFixed(IoFd.raw(0), b, 0));
            probes.put(Capability.FIXED_FILES, b -> new Recv(new IoFd.Fixed(0), b));
            probes.put(Capability.DATAGRAM_SOCKETS, b -> new RecvFrom(notOpenDescriptor(), b, SockAddrStorage.allocate(rt.loop().addressLayout())));
            probes.put(Capability.UNIX_SOCKETS, b -> new Socket(AddressFamily.UNIX, SocketType.STREAM));
            probes.put(Capability.MESSAGE_FLAGS, b -> new Recv(notOpenDescriptor(), b, NetworkRules.MSG_PEEK));
            probes.put(Capability.UNIX_ABSTRACT_NAMES, b -> new Connect(notOpenDescriptor(),
                    SockAddrStorage.allocate(rt.loop().addressLayout()).setAbstractUnix("veloq-tck-never-bound")));
            probes.put(Capability.SEND_FILE, b -> new SendFile(notOpenDescriptor(), notOpenDescriptor(), 0, 1));
            Set<Capability> missing = EnumSet.noneOf(Capability.class);
            for (Capability c : probes.keySet()) {
                if (!rt.capabilities().contains(c)) {
                    missing.add(c);
                }
            }
            if (!rt.capabilities().contains(Capability.UNIX_SOCKETS)) {
                missing.remove(Capability.UNIX_ABSTRACT_NAMES); // refused for UNIX_SOCKETS at Socket already
            }
            Assumptions.assumeFalse(missing.isEmpty(), () -> "driver '" + rt.driverId() + "' reports every capability an "
                    + "op can need (" + rt.capabilities() + "), so the runtime has nothing to refuse");
            for (Capability c : missing) {
                FixedBuf b = lease(rt.loop()); // from the loop's own pool: ReadFixed must be refused for the capability
                OpPayload p = probes.get(c).apply(b);
                Completion<?> done = await(rt.loop().submitAsync(p), p.describe() + " on a driver without " + c);
                expectError(done, IoErrorKind.NOT_SUPPORTED, p.describe() + " on a driver that does not report " + c);
                String msg = done.error().getMessage();
                check(msg.contains(c.name()), () -> p.describe() + " was refused, but the message does not name the missing "
                        + "capability " + c + ": " + msg);
                check(b.owner() == null, () -> "the buffer of the refused " + p.describe() + " is back");
                b.release();
            }
            check(!missing.contains(Capability.REGISTERED_BUFFERS) || rt.loop().bufPool() == null || !rt.loop().bufPool().isRegistered(),
                    "a driver without REGISTERED_BUFFERS must not get the loop's pool registered");
        });
    }
}
