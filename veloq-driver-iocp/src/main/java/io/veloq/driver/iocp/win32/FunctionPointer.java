package io.veloq.driver.iocp.win32;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.HeapInvocationBuffer;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Type;

/**
 * A native function known only by its address, called through jffi's generic invoker: how the driver
 * calls AcceptEx, ConnectEx and GetAcceptExSockaddrs, which Winsock hands out as pointers rather than
 * exports. The generic path builds each call in a heap buffer, so any number of arguments works, with no
 * assembly stubs involved (NATIVE.md, pitfall 1, cannot bite). The last error is saved after each call.
 *
 * <pre>{@code
 * FunctionPointer connectEx = new FunctionPointer(address, Type.SINT32,
 *         Type.POINTER, Type.POINTER, Type.SINT32, Type.POINTER, Type.UINT32, Type.POINTER, Type.POINTER);
 * int ok = connectEx.invokeInt(connectEx.arguments().address(s).address(name).int32(len)...);
 * }</pre>
 *
 * @since 0.1
 */
public final class FunctionPointer {
    private final long address;
    private final CallContext context;

    public FunctionPointer(long address, Type returnType, Type... parameterTypes) {
        if (address == 0) {
            throw new IllegalArgumentException("NULL function pointer");
        }
        this.address = address;
        this.context = CallContext.getCallContext(returnType, parameterTypes, CallingConvention.DEFAULT, true);
    }

    public long address() {
        return address;
    }

    /** A fresh argument list for one call. */
    public Arguments arguments() {
        return new Arguments(new HeapInvocationBuffer(context));
    }

    /** Calls with an int-sized result (BOOL, int). */
    public int invokeInt(Arguments args) {
        return Invoker.getInstance().invokeInt(context, address, args.buffer);
    }

    /** Calls a function returning void. */
    public void invokeVoid(Arguments args) {
        Invoker.getInstance().invokeInt(context, address, args.buffer);
    }

    /** The error the callee left ({@code GetLastError} on Windows, {@code errno} elsewhere). */
    public static int lastError() {
        return LastError.getInstance().get();
    }

    /** The arguments of one call, in order. */
    public static final class Arguments {
        private final HeapInvocationBuffer buffer;

        private Arguments(HeapInvocationBuffer buffer) {
            this.buffer = buffer;
        }

        /** A pointer or pointer-sized integer (SOCKET, HANDLE). */
        public Arguments address(long value) {
            buffer.putAddress(value);
            return this;
        }

        /** A 32-bit integer (int, DWORD, BOOL). */
        public Arguments int32(int value) {
            buffer.putInt(value);
            return this;
        }
    }
}
