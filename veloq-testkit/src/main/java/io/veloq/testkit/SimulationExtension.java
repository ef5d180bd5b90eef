package io.veloq.testkit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * JUnit 5 glue: injects a {@link Simulation} parameter (seed from {@code -Dveloq.seed}, else
 * {@value Simulation#DEFAULT_SEED}; no faults), closes it after the test, and adds the seed, the command
 * line that reruns the test with it, and the last trace events to any failure, even a plain
 * {@code assertEquals}.
 *
 * <pre>{@code
 * @ExtendWith(SimulationExtension.class)
 * class EchoTest {
 *     @Test
 *     void echoes(Simulation sim) { ... assertEquals("ping", client.receiveText()); }
 * }
 * // on failure: "expected: <ping> but was: <>
 * //              (seed 42: rerun with mvn test -Dveloq.seed=42 -Dtest=EchoTest#echoes) ..."
 * }</pre>
 *
 * @since 0.1
 */
public final class SimulationExtension implements ParameterResolver, AfterEachCallback, TestExecutionExceptionHandler {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SimulationExtension.class);

    /** Instantiated by JUnit through {@code @ExtendWith(SimulationExtension.class)}. */
    public SimulationExtension() {
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
        return p.getParameter().getType() == Simulation.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
        return c.getStore(NS).getOrComputeIfAbsent("sim", k -> Simulation.open(), Simulation.class);
    }

    @Override
    public void afterEach(ExtensionContext c) {
        Simulation sim = c.getStore(NS).remove("sim", Simulation.class);
        if (sim != null) {
            sim.close();
        }
    }

    @Override
    public void handleTestExecutionException(ExtensionContext c, Throwable t) throws Throwable {
        Simulation sim = c.getStore(NS).get("sim", Simulation.class);
        String msg = String.valueOf(t.getMessage());
        if (sim == null || msg.contains("rerun with") || msg.contains("rerun just this seed")) {
            throw t;
        }
        String test = c.getRequiredTestClass().getSimpleName() + "#" + c.getRequiredTestMethod().getName();
        AssertionError e = new AssertionError(msg + "\n(seed " + sim.seed() + ": rerun with mvn test -Dveloq.seed="
                + sim.seed() + " -Dtest=" + test + ")\nlast events:\n" + sim.trace().tail(20), t);
        throw e;
    }
}
