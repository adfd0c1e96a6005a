package dev.fhirhook.bot;

import dev.fhirhook.fhir.GenerationCache;
import dev.fhirhook.fhir.ResourceStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;

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

    private final ResourceStore store;
    private final GenerationCache<Key, Source> cache;

    BotCodeCache(ResourceStore store, Clock clock) {
        this.store = store;
        this.cache = new GenerationCache<>(clock, TTL, store::binaryGeneration, MAX_ENTRIES,
                source -> source.text().length(), MAX_CHARS);
    }

    /** The code of Binary {@code binaryId} in {@code projectId}; empty when there is none or it cannot be decoded. */
    Optional<Source> find(String projectId, String binaryId) {
        var lookup = cache.lookup(new Key(projectId, binaryId));
        if (lookup.hit().isPresent()) return lookup.hit();
        var loaded = load(projectId, binaryId);
        if (loaded.isPresent()) lookup.keep(loaded.get());
        else lookup.forget();
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
}
