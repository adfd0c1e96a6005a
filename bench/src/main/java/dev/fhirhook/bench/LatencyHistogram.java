package dev.fhirhook.bench;

/**
 * Latencies in microseconds, log-linear like HdrHistogram: values below 128 µs are exact, above that each
 * power of two is split into 64 buckets, so a reported value is at most ~1.6% above the true one. Values
 * beyond 2^40 µs (~12 days) are clamped. Not thread-safe: one per worker, merged at the end.
 */
final class LatencyHistogram {
    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS; // 64 buckets per power of two
    private static final int MAX_MAGNITUDE = 40 - SUB_BITS;
    private static final long MAX_VALUE = (1L << 40) - 1;

    private final long[] counts = new long[(MAX_MAGNITUDE + 2) * SUB];
    private long total;
    private long max;

    void recordNanos(long nanos) {
        record(Math.max(0, (nanos + 500) / 1_000));
    }

    void record(long micros) {
        long v = Math.min(micros, MAX_VALUE);
        counts[index(v)]++;
        total++;
        if (v > max) max = v;
    }

    void add(LatencyHistogram other) {
        for (int i = 0; i < counts.length; i++) counts[i] += other.counts[i];
        total += other.total;
        max = Math.max(max, other.max);
    }

    long count() { return total; }

    long maxMicros() { return max; }

    /** The smallest recorded bucket's upper bound that covers {@code percentile}% of the values, capped at max. */
    long percentileMicros(double percentile) {
        if (total == 0) return 0;
        long target = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= target) return Math.min(upperBound(i), max);
        }
        return max;
    }

    static int index(long v) {
        if (v < 2 * SUB) return (int) v;
        int magnitude = 63 - Long.numberOfLeadingZeros(v) - SUB_BITS; // >= 1
        return magnitude * SUB + (int) (v >>> magnitude);
    }

    static long upperBound(int index) {
        if (index < 2 * SUB) return index;
        int magnitude = index / SUB - 1;
        long sub = index % SUB + SUB;
        return ((sub + 1) << magnitude) - 1;
    }
}
