package dev.fhirhook.bot;

import dev.fhirhook.fhir.ResourceStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The decoded source of the Binaries that {@code Bot.executableCode} names, so that a run does not read up to
 * 5 MB from PostgreSQL, parse it as JSON and base64-decode it every time.
 *
 * <p>Entries are keyed by project and Binary id: a Binary is found only in the project asked for, so one
 * project's code is never handed to another project's bot. An entry is trusted while no Binary write has
 * committed in this process ({@link ResourceStore#binaryGeneration()}), so a Binary replaced in place here
 * runs on the very next request, and for at most {@link #TTL}, within which other nodes' writes are seen (the
 * rule of the security caches). A {@code $deploy} writes a new Binary and points the Bot at it, so it never
 * depends on either. Missing, foreign and undecodable Binaries are not cached. At most {@link #MAX_ENTRIES}
 * entries and {@link #MAX_CHARS} characters of source are kept; when either would be passed the cache is
 * emptied, and the bots still in use are back after one look-up each. Thread-safe.
 */
final class BotCodeCache {
    static final Duration TTL = Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 1_000;
    /** Bounds the memory held: bot code may be 5 MB, so entries alone would allow gigabytes. */
    static final long MAX_CHARS = 32L * 1024 * 1024;

    /**
     * One version of a Binary's code.
     *
     * @param version names this version ({@code <binary id>/<versionId>}); the runtime pools contexts by it
     * @param text the decoded source
     */
    record Source(String version, String text) {}

    private record Key(String projectId, String binaryId) {}

    private record Cached(Source source, long generation, Instant expires) {}

    private final ResourceStore store;
    private final Clock clock;
    private final ConcurrentHashMap<Key, Cached> cache = new ConcurrentHashMap<>();
    /** Characters of source held; changed only under this object's lock, with every write to {@link #cache}. */
    private long chars;

    BotCodeCache(ResourceStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** The code of Binary {@code binaryId} in {@code projectId}; empty when there is none or it cannot be decoded. */
    Optional<Source> find(String projectId, String binaryId) {
        long generation = store.binaryGeneration(); // read before the look-up: a write after it invalidates the entry
        Instant now = clock.instant();
        var key = new Key(projectId, binaryId);
        var cached = cache.get(key);
        if (cached != null && cached.generation() == generation && now.isBefore(cached.expires())) {
            return Optional.of(cached.source());
        }
        var loaded = load(projectId, binaryId);
        if (loaded.isPresent()) keep(key, new Cached(loaded.get(), generation, now.plus(TTL)));
        else if (cached != null) forget(key);
        return loaded;
    }

    private Optional<Source> load(String projectId, String binaryId) {
        var binary = store.findAnyProject("Binary", binaryId).filter(b -> b.projectId().equals(projectId));
        if (binary.isEmpty()) return Optional.empty();
        try {
            byte[] decoded = Base64.getMimeDecoder().decode(binary.get().json().path("data").asText(""));
            return Optional.of(new Source(binary.get().id() + "/" + binary.get().versionId(),
                    new String(decoded, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private synchronized void keep(Key key, Cached entry) {
        long size = entry.source().text().length();
        if (size > MAX_CHARS) return;
        var old = cache.remove(key);
        if (old != null) chars -= old.source().text().length();
        if (cache.size() >= MAX_ENTRIES || chars + size > MAX_CHARS) {
            cache.clear();
            chars = 0;
        }
        cache.put(key, entry);
        chars += size;
    }

    private synchronized void forget(Key key) {
        var old = cache.remove(key);
        if (old != null) chars -= old.source().text().length();
    }
}
