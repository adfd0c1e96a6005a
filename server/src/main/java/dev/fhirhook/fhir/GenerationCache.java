package dev.fhirhook.fhir;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Values derived from stored resources, kept in memory under the rule every cache of this server follows: an entry
 * is trusted while a write counter of the store ({@link ResourceStore#securityGeneration()},
 * {@link ResourceStore#binaryGeneration()}) is where it was when the entry was loaded, and for at most a TTL. A write
 * on this node is thus seen by the very next look-up; one on another node within the TTL.
 *
 * <p>A look-up reads the counter before the caller loads anything ({@link #lookup}), so a write that commits while
 * the caller loads leaves an entry that is already stale rather than one that looks current. The cache is bounded
 * by its number of entries and, when given a weigher, by their total weight: when a new entry would pass either it
 * is emptied, and the entries still in use come back after one load each (a flood of distinct keys cannot grow it
 * nor evict anything selectively). Thread-safe.
 */
public final class GenerationCache<K, V> {
    private record Entry<V>(V value, long generation, Instant expires) {}

    private final Clock clock;
    private final Duration ttl;
    private final LongSupplier generation;
    private final int maxEntries;
    private final ToLongFunction<V> weigher;
    private final long maxWeight;
    private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();
    /** Total weight of {@link #entries}; changed only under this object's lock, with every write to them. */
    private long weight;

    /** Bounded by the number of entries only. */
    public GenerationCache(Clock clock, Duration ttl, LongSupplier generation, int maxEntries) {
        this(clock, ttl, generation, maxEntries, value -> 0, Long.MAX_VALUE);
    }

    /** Bounded by the number of entries and their total weight; a value heavier than the whole bound is not kept. */
    public GenerationCache(Clock clock, Duration ttl, LongSupplier generation, int maxEntries, ToLongFunction<V> weigher,
            long maxWeight) {
        this.clock = clock;
        this.ttl = ttl;
        this.generation = generation;
        this.maxEntries = maxEntries;
        this.weigher = weigher;
        this.maxWeight = maxWeight;
    }

    /** One look-up: the entry if it is still trusted, and the means to keep or drop what the caller loads instead. */
    public final class Lookup {
        private final K key;
        private final long generationBefore;
        private final Instant now;
        private final Optional<V> hit;

        private Lookup(K key) {
            this.key = key;
            this.generationBefore = generation.getAsLong(); // before any load: a write after it invalidates the entry
            this.now = clock.instant();
            var entry = entries.get(key);
            this.hit = entry != null && entry.generation() == generationBefore && now.isBefore(entry.expires())
                    ? Optional.of(entry.value()) : Optional.empty();
        }

        /** The trusted value, if there is one. */
        public Optional<V> hit() {
            return hit;
        }

        /** Keeps a freshly loaded value for this key. */
        public V keep(V value) {
            GenerationCache.this.keep(key, new Entry<>(value, generationBefore, now.plus(ttl)));
            return value;
        }

        /** Drops whatever is kept for this key (what was looked up no longer exists, or must not be kept). */
        public void forget() {
            GenerationCache.this.forget(key);
        }
    }

    public Lookup lookup(K key) {
        return new Lookup(key);
    }

    private synchronized void keep(K key, Entry<V> entry) {
        long size = weigher.applyAsLong(entry.value());
        if (size > maxWeight) return;
        forget(key);
        if (entries.size() >= maxEntries || weight + size > maxWeight) {
            entries.clear();
            weight = 0;
        }
        entries.put(key, entry);
        weight += size;
    }

    private synchronized void forget(K key) {
        var old = entries.remove(key);
        if (old != null) weight -= weigher.applyAsLong(old.value());
    }
}
