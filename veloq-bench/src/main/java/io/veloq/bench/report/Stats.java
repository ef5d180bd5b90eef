package io.veloq.bench.report;

import java.util.Arrays;
import java.util.Collection;
import java.util.function.ToDoubleFunction;

/** Small statistics helpers; NaN values are ignored. */
public final class Stats {

    private Stats() {
    }

    /** Median of the non-NaN values (mean of the middle two for an even count); NaN if none. */
    public static double median(double... values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    public static <T> double median(Collection<T> items, ToDoubleFunction<T> f) {
        return median(items.stream().mapToDouble(f).toArray());
    }

    /** (max - min) / median of the non-NaN values; NaN with fewer than two values. */
    public static double spread(double... values) {
        double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length < 2) {
            return Double.NaN;
        }
        double med = median(v);
        return med == 0 ? Double.NaN : (v[v.length - 1] - v[0]) / med;
    }

    public static <T> double spread(Collection<T> items, ToDoubleFunction<T> f) {
        return spread(items.stream().mapToDouble(f).toArray());
    }

    /** {@code a / b}, NaN when either is NaN or b is 0. */
    public static double ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return Double.NaN;
        }
        return a / b;
    }
}
