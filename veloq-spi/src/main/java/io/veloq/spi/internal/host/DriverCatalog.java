package io.veloq.spi.internal.host;

import io.veloq.api.DriverDescription;
import io.veloq.spi.Availability;
import io.veloq.spi.DriverProvider;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Finds driver providers and picks one, following the order documented on {@link DriverProvider}.
 * Providers that fail to load or to answer are reported with the failure, never thrown at the user.
 */
final class DriverCatalog {
    /** System property naming the driver when the builder does not. */
    static final String PROPERTY = "veloq.driver";

    record Entry(String id, DriverProvider provider, Availability availability, String loadError) {
        boolean usable() {
            return provider != null && availability.available();
        }
    }

    private final List<Entry> entries;

    private DriverCatalog(List<Entry> entries) {
        this.entries = entries;
    }

    static DriverCatalog load() {
        List<Entry> out = new ArrayList<>();
        ServiceLoader<DriverProvider> loader = ServiceLoader.load(DriverProvider.class, DriverCatalog.class.getClassLoader());
        loader.stream().forEach(p -> {
            String typeName = "?";
            try {
                typeName = p.type().getName();
                out.add(probe(p.get()));
            } catch (RuntimeException | LinkageError | java.util.ServiceConfigurationError e) {
                out.add(new Entry(typeName, null, Availability.unavailable("provider failed to load: " + e), String.valueOf(e)));
            }
        });
        out.sort(Comparator.comparing(Entry::id));
        return new DriverCatalog(out);
    }

    /** A catalog of the given providers, as if found by the service loader (tests). */
    static DriverCatalog of(List<? extends DriverProvider> providers) {
        List<Entry> out = new ArrayList<>();
        for (DriverProvider p : providers) {
            out.add(probe(p));
        }
        out.sort(Comparator.comparing(Entry::id));
        return new DriverCatalog(out);
    }

    private static Entry probe(DriverProvider provider) {
        Availability a;
        try {
            a = provider.availability();
        } catch (RuntimeException | LinkageError e) {
            a = Availability.unavailable("availability probe failed: " + e);
        }
        if (a == null) {
            a = Availability.unavailable("availability() returned null (a bug in " + provider.getClass().getName() + ")");
        }
        return new Entry(provider.id(), provider, a, null);
    }

    List<DriverDescription> describe() {
        List<DriverDescription> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.provider == null) {
                out.add(new DriverDescription(e.id, false, e.availability.reason(), 0, false, Set.of(), Map.of()));
                continue;
            }
            Map<String, String> details;
            try {
                details = e.provider.details();
            } catch (RuntimeException | LinkageError ex) {
                details = Map.of("details-error", String.valueOf(ex));
            }
            Set<io.veloq.api.Capability> caps;
            try {
                caps = e.provider.capabilities();
            } catch (RuntimeException | LinkageError ex) {
                caps = Set.of();
            }
            out.add(new DriverDescription(e.id, e.availability.available(), e.availability.reason(),
                    e.provider.priority(), e.provider.explicitOnly(), caps, details));
        }
        return out;
    }

    /** Picks the provider for {@code requested} (null: the property, then the best available). */
    DriverProvider select(String requested) {
        String id = requested != null ? requested : System.getProperty(PROPERTY);
        if (id != null && !id.isBlank()) {
            id = id.trim();
            for (Entry e : entries) {
                if (e.id.equals(id)) {
                    if (e.usable()) {
                        return e.provider;
                    }
                    throw new IllegalStateException("driver '" + id + "' is unavailable: " + e.availability.reason()
                            + ". " + summary());
                }
            }
            throw new IllegalArgumentException("unknown driver id '" + id + "'"
                    + (requested == null ? " (from system property " + PROPERTY + ")" : "") + ". " + summary());
        }
        Entry best = null;
        for (Entry e : entries) {
            if (e.usable() && !e.provider.explicitOnly()
                    && (best == null || e.provider.priority() > best.provider.priority())) {
                best = e;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no usable Veloq driver. " + summary()
                    + (entries.stream().anyMatch(e -> e.usable()) ? " (the fake driver is used only when named: --driver fake with ./veloq, the JVM flag -Dveloq.driver=fake"
                            + " (VELOQ_JAVA_OPTS with ./veloq), or IoRuntime.builder().driver(\"fake\") in code)" : ""));
        }
        return best.provider;
    }

    String summary() {
        if (entries.isEmpty()) {
            return "Available drivers: none found; put veloq-driver-uring (Linux), veloq-driver-iocp (Windows), "
                    + "veloq-driver-nio (pure Java, anywhere) or veloq-testkit (fake) on the module path";
        }
        StringBuilder sb = new StringBuilder("Available drivers: [");
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (i > 0) {
                sb.append("; ");
            }
            sb.append(e.id).append(": ").append(e.usable() ? "available" : "refused, " + e.availability.reason());
            if (e.provider != null && e.provider.explicitOnly()) {
                sb.append(" (only when named)");
            }
        }
        return sb.append(']').toString();
    }
}
