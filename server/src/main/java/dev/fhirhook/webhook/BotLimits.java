package dev.fhirhook.webhook;

import dev.fhirhook.http.RequestLimiter;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * The per-bot limits of public webhooks, on top of the platform's per-IP limiter: a Bucket4j token bucket
 * ({@code webhook.rateLimit}: capacity {@code burst}, refilled greedily at {@code perMinute}) and a cap on requests
 * in flight ({@code webhook.maxConcurrency}), both keyed by bot id. Time comes from the injected clock. When a
 * bot's settings change, its bucket and semaphore are replaced (requests in flight release the old one).
 * Neither waits: an excess request is refused at once. Thread-safe.
 */
final class BotLimits {
    static final int MAX_BOTS = 100_000;
    /** What an excess request is told to wait when the concurrency cap, not the bucket, refused it. */
    static final long BUSY_RETRY_AFTER_SECONDS = 1;

    private record Limited(WebhookSettings.RateLimit settings, Bucket bucket) {}

    private record Capped(int permits, Semaphore semaphore) {}

    /** A slot of the concurrency cap, given back by {@link #close()}. */
    interface Permit extends AutoCloseable {
        Permit NONE = () -> { };

        @Override
        void close();
    }

    private final TimeMeter time;
    private final ConcurrentHashMap<String, Limited> buckets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Capped> caps = new ConcurrentHashMap<>();

    BotLimits(Clock clock) {
        this.time = RequestLimiter.timeMeter(clock);
    }

    /** Takes one token; empty when it passed, else the seconds until a token is back (at least 1). */
    OptionalLong consume(String botId, Optional<WebhookSettings.RateLimit> limit) {
        if (limit.isEmpty()) return OptionalLong.empty();
        var current = buckets.get(botId);
        if (current == null || !current.settings().equals(limit.get())) {
            if (buckets.size() >= MAX_BOTS) buckets.clear();
            current = buckets.compute(botId, (id, old) -> old != null && old.settings().equals(limit.get()) ? old
                    : new Limited(limit.get(), newBucket(limit.get())));
        }
        var probe = current.bucket().tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) return OptionalLong.empty();
        return OptionalLong.of(Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L));
    }

    /** A slot under the bot's cap, or empty when all are taken. */
    Optional<Permit> enter(String botId, OptionalInt maxConcurrency) {
        if (maxConcurrency.isEmpty()) return Optional.of(Permit.NONE);
        int permits = maxConcurrency.getAsInt();
        var current = caps.get(botId);
        if (current == null || current.permits() != permits) {
            if (caps.size() >= MAX_BOTS) caps.clear();
            current = caps.compute(botId, (id, old) -> old != null && old.permits() == permits ? old
                    : new Capped(permits, new Semaphore(permits)));
        }
        var semaphore = current.semaphore();
        if (!semaphore.tryAcquire()) return Optional.empty();
        return Optional.of(new Permit() {
            private boolean released;

            @Override
            public void close() {
                if (released) return;
                released = true;
                semaphore.release();
            }
        });
    }

    private Bucket newBucket(WebhookSettings.RateLimit limit) {
        return Bucket.builder()
                .addLimit(l -> l.capacity(limit.burst()).refillGreedy(limit.perMinute(), Duration.ofMinutes(1)))
                .withCustomTimePrecision(time)
                .build();
    }
}
