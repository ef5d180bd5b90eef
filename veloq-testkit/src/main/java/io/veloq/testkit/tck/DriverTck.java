package io.veloq.testkit.tck;

import io.veloq.api.Capability;
import io.veloq.spi.DriverProvider;

/**
 * The driver conformance kit: every rule a Veloq driver must keep, as JUnit 5 tests. A driver author
 * extends it and supplies only the provider; the kit opens runtimes on it through the host, exactly as
 * applications will.
 *
 * <pre>{@code
 * class UringDriverTckTest extends DriverTck {
 *     @Override
 *     protected DriverProvider provider() { return new UringProvider(); }
 * }
 * }</pre>
 *
 * <h2>Rules</h2>
 * Each test is named after the rule it checks. {@code required_...} rules hold for every driver;
 * {@code optional_...} rules are skipped, with the reason, when the driver does not report the capability
 * they need ({@link Capability}). The rules come in groups, one class each, along one chain that ends here:
 * {@link LifecycleRules} (an op's life: results, ownership, cancellation, deadlines, close, budget, threads),
 * {@link NetworkRules} (sockets: round trips, short writes, error contracts, Close of a descriptor with ops
 * pending, UDP, Unix stream and datagram, abstract names, recv/send flags), {@link FileRules} (files, registered
 * files and buffers), {@link MultiLoopRules} (handles across loops, cross-loop submission, what closing a
 * runtime leaves open), {@link OptionRules} (socket options by group), {@link CapabilityRules} (what the
 * runtime refuses for a missing capability) and {@link MultishotRules} (ops with many completions: multishot
 * accept and receive, a dry buffer ring, cancel mid-stream, zero-copy send, cross-loop submission). The harness itself is {@link TckHarness}.
 * Sockets are created with the {@code Socket} op and bound to loopback ({@code 127.0.0.1}); files live in
 * a fresh temporary directory.
 *
 * <h2>Environment</h2>
 * <ul>
 *   <li>{@code -Dveloq.tck.timeoutSeconds=N} (default 10): how long any single wait may take before the
 *       rule fails as "still in flight".</li>
 *   <li>{@code -Dveloq.seed=N} (default 42): the seed of the kit's random choices (payloads, sizes); it is
 *       printed in every failure with the command line that reruns the rule.</li>
 * </ul>
 * Failures in completers and other threads are collected and reported with the rule that caused them.
 *
 * @since 0.1
 */
public abstract class DriverTck extends MultishotRules {
    /** For subclasses: a driver module's test class that supplies {@link #provider()}. */
    protected DriverTck() {
    }

    /** The provider of the driver under test; called once per rule (all the rule's runtimes share it). */
    @Override
    protected abstract DriverProvider provider();
}
