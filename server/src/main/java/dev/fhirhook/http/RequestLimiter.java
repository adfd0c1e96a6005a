package dev.fhirhook.http;

import dev.fhirhook.config.Config;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The platform request limiter, checked before routing: one Bucket4j bucket per client address and category
 * ({@link Category}), refilled completely once per {@link #WINDOW} like Medplum's fixed window. Time comes from
 * the injected clock. Thread-safe.
 *
 * <p>Buckets live in this node's memory ({@link #RequestLimiter(Config.RateLimits, Clock)}) or in PostgreSQL,
 * shared by every node on the same database ({@link #shared}), so that a cluster of N nodes allows the limit
 * once and not N times. In memory, the map is bounded: when {@code maxBuckets} is reached, buckets idle for a
 * whole window (which are full again, so forgetting them changes nothing) are dropped; if a flood of distinct
 * addresses still fills the map, the least recently used tenth goes, which at worst resets the count of a quiet
 * address. In PostgreSQL, rows whose bucket is full again are deleted about once per window.
 */
public final class RequestLimiter {
    private static final Logger log = LoggerFactory.getLogger(RequestLimiter.class);
    static final Duration WINDOW = Duration.ofMinutes(1);
    static final int DEFAULT_MAX_BUCKETS = 100_000;
    static final String TABLE = "rate_limit_bucket";
    /** Expired rows deleted per clean-up statement; more wait for the next window. */
    static final int CLEANUP_BATCH = 10_000;

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
        /** The category has no limit (or the shared store cannot be reached; see {@link RequestLimiter#check}). */
        record Unlimited() implements Decision {}

        /** @param resetSeconds seconds until the bucket is full again, rounded up */
        record Passed(long remaining, long resetSeconds) implements Decision {}

        /** @param retryAfterSeconds seconds until a request will pass again, rounded up, at least 1 */
        record Throttled(long limit, long retryAfterSeconds) implements Decision {}
    }

    private record Key(Category category, String client) {}

    /** Where the buckets live. */
    private sealed interface Store permits Local, Postgres {
        /** The bucket for {@code key}, holding {@code limit} tokens per window when it is new. */
        Bucket bucket(Key key, long limit, Instant now);
    }

    private final Config.RateLimits limits;
    private final Clock clock;
    private final Store store;

    public RequestLimiter(Config.RateLimits limits, Clock clock) {
        this(limits, clock, DEFAULT_MAX_BUCKETS);
    }

    RequestLimiter(Config.RateLimits limits, Clock clock, int maxBuckets) {
        this.limits = limits;
        this.clock = clock;
        this.store = new Local(timeMeter(clock), maxBuckets);
    }

    private RequestLimiter(Config.RateLimits limits, Clock clock, Store store) {
        this.limits = limits;
        this.clock = clock;
        this.store = store;
    }

    /**
     * A limiter whose buckets are rows of {@value #TABLE} in {@code dataSource}, shared by every limiter (every
     * node) on that database; each check is one short transaction that locks the bucket's row.
     */
    public static RequestLimiter shared(Config.RateLimits limits, Clock clock, DataSource dataSource) {
        var manager = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table(TABLE)
                .clientClock(timeMeter(clock))
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ZERO))
                .build();
        return new RequestLimiter(limits, clock, new Postgres(manager));
    }

    /**
     * Counts one request from {@code clientIp} to {@code path}. When the shared store cannot be reached the
     * request passes ({@link Decision.Unlimited}) and a warning is logged: the limiter protects the server, and
     * a database outage must not turn every request, health checks included, into an error of its own.
     */
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
        io.github.bucket4j.ConsumptionProbe probe;
        try {
            probe = store.bucket(key, limit, now).tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            if (store instanceof Postgres postgres) {
                postgres.unreachable(now, e);
                return new Decision.Unlimited();
            }
            throw e;
        }
        if (probe.isConsumed()) return new Decision.Passed(probe.getRemainingTokens(), seconds(probe.getNanosToWaitForReset()));
        return new Decision.Throttled(limit, Math.max(1, seconds(probe.getNanosToWaitForRefill())));
    }

    /** Buckets held in memory (0 for the shared store). */
    int size() {
        return store instanceof Local local ? local.buckets.size() : 0;
    }

    private static BucketConfiguration configuration(long limit) {
        return BucketConfiguration.builder()
                .addLimit(l -> l.capacity(limit).refillIntervally(limit, WINDOW))
                .build();
    }

    /** Bucket4j's time read from the injected clock (so tests move time by hand); for every bucket of the server. */
    public static TimeMeter timeMeter(Clock clock) {
        return new TimeMeter() {
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

    /** Buckets in this node's memory, bounded by {@code maxBuckets}. */
    private static final class Local implements Store {
        private static final class Entry {
            final Bucket bucket;
            volatile Instant lastUsed;

            Entry(Bucket bucket, Instant lastUsed) {
                this.bucket = bucket;
                this.lastUsed = lastUsed;
            }
        }

        private final TimeMeter time;
        private final int maxBuckets;
        private final Map<Key, Entry> buckets = new ConcurrentHashMap<>();

        Local(TimeMeter time, int maxBuckets) {
            this.time = time;
            this.maxBuckets = maxBuckets;
        }

        @Override
        public Bucket bucket(Key key, long limit, Instant now) {
            var entry = buckets.get(key);
            if (entry == null) {
                if (buckets.size() >= maxBuckets) evict(now);
                entry = buckets.computeIfAbsent(key, k -> new Entry(Bucket.builder()
                        .addLimit(l -> l.capacity(limit).refillIntervally(limit, WINDOW))
                        .withCustomTimePrecision(time)
                        .build(), now));
            }
            entry.lastUsed = now;
            return entry.bucket;
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
    }

    /** Buckets as rows in PostgreSQL, shared by every node; expired rows are deleted about once per window. */
    private static final class Postgres implements Store {
        private final PostgreSQLSelectForUpdateBasedProxyManager<String> manager;
        private final AtomicReference<Instant> nextCleanup = new AtomicReference<>(Instant.MIN);
        private final AtomicReference<Instant> nextWarning = new AtomicReference<>(Instant.MIN);

        Postgres(PostgreSQLSelectForUpdateBasedProxyManager<String> manager) {
            this.manager = manager;
        }

        @Override
        public Bucket bucket(Key key, long limit, Instant now) {
            cleanUp(now);
            // the limit is part of the key: nodes (or a restart) with another limit count in buckets of their own
            // instead of fighting over one bucket's configuration
            String id = key.category().name().toLowerCase(Locale.ROOT) + ":" + limit + ":" + key.client();
            return manager.getProxy(id, () -> configuration(limit));
        }

        private void cleanUp(Instant now) {
            Instant due = nextCleanup.get();
            if (now.isBefore(due) || !nextCleanup.compareAndSet(due, now.plus(WINDOW))) return;
            try {
                manager.removeExpired(CLEANUP_BATCH);
            } catch (RuntimeException e) {
                log.debug("rate-limit bucket clean-up failed: {}", e.toString());
            }
        }

        void unreachable(Instant now, RuntimeException e) {
            Instant due = nextWarning.get();
            if (now.isBefore(due) || !nextWarning.compareAndSet(due, now.plus(WINDOW))) return;
            log.warn("rate-limit store unreachable, requests pass unlimited until it is back: {}", e.toString());
        }
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
