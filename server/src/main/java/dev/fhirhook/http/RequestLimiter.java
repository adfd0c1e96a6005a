package dev.fhirhook.http;

import dev.fhirhook.config.Config;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The platform request limiter, checked before routing: one Bucket4j bucket per client address and category
 * ({@link Category}), refilled completely once per {@link #WINDOW} like Medplum's fixed window. Time comes from
 * the injected clock. Thread-safe.
 *
 * <p>Memory is bounded: when {@code maxBuckets} is reached, buckets idle for a whole window (which are full
 * again, so forgetting them changes nothing) are dropped; if a flood of distinct addresses still fills the map,
 * the least recently used tenth goes, which at worst resets the count of a quiet address.
 */
public final class RequestLimiter {
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int DEFAULT_MAX_BUCKETS = 100_000;

    /** Which limit a URL counts against, by its path (never the query). */
    public enum Category {
        LOGIN, AUTH, DEFAULT;

        public static Category of(String path) {
            // the normalised form, so that //auth/login/ or /AUTH/login cannot slip into a more generous category
            String p = path.toLowerCase(Locale.ROOT).replaceAll("/{2,}", "/");
            while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
            if (p.equals("/auth/login") || p.equals("/auth/newuser") || p.equals("/auth/newproject")) return LOGIN;
            if (p.equals("/auth/me")) return DEFAULT;
            // "/auth" itself is counted as auth too: trailing slashes are gone, so it stands for "/auth/" as well
            if (p.equals("/auth") || p.equals("/oauth2") || p.startsWith("/auth/") || p.startsWith("/oauth2/")) return AUTH;
            return DEFAULT;
        }
    }

    /** The limiter's answer for one request. */
    public sealed interface Decision {
        /** The category has no limit. */
        record Unlimited() implements Decision {}

        /** @param resetSeconds seconds until the bucket is full again, rounded up */
        record Passed(long remaining, long resetSeconds) implements Decision {}

        /** @param retryAfterSeconds seconds until a request will pass again, rounded up, at least 1 */
        record Throttled(long limit, long retryAfterSeconds) implements Decision {}
    }

    private record Key(Category category, String client) {}

    private static final class Entry {
        final Bucket bucket;
        volatile Instant lastUsed;

        Entry(Bucket bucket, Instant lastUsed) {
            this.bucket = bucket;
            this.lastUsed = lastUsed;
        }
    }

    private final Config.RateLimits limits;
    private final Clock clock;
    private final int maxBuckets;
    private final TimeMeter time;
    private final Map<Key, Entry> buckets = new ConcurrentHashMap<>();

    public RequestLimiter(Config.RateLimits limits, Clock clock) {
        this(limits, clock, DEFAULT_MAX_BUCKETS);
    }

    RequestLimiter(Config.RateLimits limits, Clock clock, int maxBuckets) {
        this.limits = limits;
        this.clock = clock;
        this.maxBuckets = maxBuckets;
        this.time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
    }

    /** Counts one request from {@code clientIp} to {@code path}. */
    public Decision check(String clientIp, String path) {
        var category = Category.of(path);
        long limit = switch (category) {
            case LOGIN -> limits.loginPerMinute();
            case AUTH -> limits.authPerMinute();
            case DEFAULT -> limits.defaultPerMinute();
        };
        if (limit <= 0) return new Decision.Unlimited();
        var now = clock.instant();
        var key = new Key(category, clientKey(clientIp));
        var entry = buckets.get(key);
        if (entry == null) {
            if (buckets.size() >= maxBuckets) evict(now);
            entry = buckets.computeIfAbsent(key, k -> new Entry(newBucket(limit), now));
        }
        entry.lastUsed = now;
        var probe = entry.bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) return new Decision.Passed(probe.getRemainingTokens(), seconds(probe.getNanosToWaitForReset()));
        return new Decision.Throttled(limit, Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    int size() {
        return buckets.size();
    }

    private Bucket newBucket(long limit) {
        return Bucket.builder()
                .addLimit(l -> l.capacity(limit).refillIntervally(limit, WINDOW))
                .withCustomTimePrecision(time)
                .build();
    }

    private synchronized void evict(Instant now) {
        if (buckets.size() < maxBuckets) return; // another thread made room meanwhile
        Instant idleSince = now.minus(WINDOW);
        buckets.values().removeIf(e -> !e.lastUsed.isAfter(idleSince));
        if (buckets.size() < maxBuckets * 9L / 10) return;
        int drop = buckets.size() - maxBuckets * 9 / 10;
        buckets.entrySet().stream()
                .sorted(Comparator.comparing(e -> e.getValue().lastUsed))
                .limit(drop)
                .map(Map.Entry::getKey)
                .toList()
                .forEach(buckets::remove);
    }

    /**
     * IPv4 addresses count one by one; IPv6 ones by their /64, because a single host or site usually holds a
     * whole /64 and could otherwise rotate through addresses to escape the limit.
     */
    static String clientKey(String clientIp) {
        if (clientIp == null) return "";
        try {
            var address = InetAddress.ofLiteral(clientIp);
            if (address instanceof Inet6Address) {
                byte[] bytes = address.getAddress();
                for (int i = 8; i < 16; i++) bytes[i] = 0;
                return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
            }
            return address.getHostAddress();
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return clientIp;
        }
    }

    private static long seconds(long nanos) {
        return (nanos + 999_999_999L) / 1_000_000_000L;
    }
}
