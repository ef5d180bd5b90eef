package io.veloq.driver.uring;

import java.util.ArrayList;
import java.util.List;

import static io.veloq.driver.uring.IoUringAbi.*;

/**
 * The io_uring setup flags the driver asks for, in order of preference, and their names for reports
 * such as {@code ./veloq doctor}'s "setup-flags: SINGLE_ISSUER|DEFER_TASKRUN|...".
 */
final class SetupFlags {
    private SetupFlags() {
    }

    /** Best first; each later set drops what an older kernel may refuse (EINVAL). The last asks for nothing. */
    static List<Integer> preferredChain() {
        int taskrunFlag = SETUP_TASKRUN_FLAG;
        return List.of(
                SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN | SETUP_COOP_TASKRUN | taskrunFlag | SETUP_SUBMIT_ALL,
                SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN | taskrunFlag | SETUP_SUBMIT_ALL,
                SETUP_SINGLE_ISSUER | SETUP_COOP_TASKRUN | taskrunFlag | SETUP_SUBMIT_ALL,
                SETUP_COOP_TASKRUN | taskrunFlag | SETUP_SUBMIT_ALL,
                SETUP_SUBMIT_ALL,
                0,
                0);
    }

    /** Only the last, flagless set: the fallback path, for tests and for {@code uring.setup-flags=none}. */
    static List<Integer> noneChain() {
        return List.of(0, 0);
    }

    private static final int[] BITS = {SETUP_SINGLE_ISSUER, SETUP_DEFER_TASKRUN, SETUP_COOP_TASKRUN,
        SETUP_TASKRUN_FLAG, SETUP_SUBMIT_ALL, SETUP_CQSIZE, SETUP_CLAMP};
    private static final String[] NAMES = {"SINGLE_ISSUER", "DEFER_TASKRUN", "COOP_TASKRUN", "TASKRUN_FLAG",
        "SUBMIT_ALL", "CQSIZE", "CLAMP"};

    /** {@code "SINGLE_ISSUER|DEFER_TASKRUN"}, or {@code "none"}. */
    static String names(int flags) {
        List<String> out = new ArrayList<>();
        int rest = flags;
        for (int i = 0; i < BITS.length; i++) {
            if ((flags & BITS[i]) != 0) {
                out.add(NAMES[i]);
                rest &= ~BITS[i];
            }
        }
        if (rest != 0) {
            out.add("0x" + Integer.toHexString(rest));
        }
        return out.isEmpty() ? "none" : String.join("|", out);
    }
}
