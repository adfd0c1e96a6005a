package dev.fhirhook.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The whole, validated server configuration. Immutable; built once by {@link ConfigLoader}.
 *
 * @param baseUrl public base URL ending in {@code /} when configured; otherwise derived from the bound port
 * @param maxJsonBytes largest JSON request body accepted
 * @param trustedProxies addresses whose {@code X-Forwarded-For} is believed
 * @param rateLimits requests per client address and minute, by category
 * @param rateLimitStore where the rate-limit buckets live
 * @param bots concurrency caps of bot runs
 * @param webhookMaxBodyBytes the largest body any Bot's {@code webhook.maxBodyBytes} may allow (each bot's default
 *                            is 1 MiB or this, whichever is smaller)
 * @param shutdownGrace how long a stop waits for the requests in flight (a bot run, a webhook) to finish before it
 *                      cuts them; new connections are refused meanwhile
 * @param bodyReadTimeout how long a request's whole body may take to arrive once the server starts reading it
 */
public record Config(
        String host,
        int port,
        Optional<String> baseUrl,
        Path dataDir,
        Database database,
        Admin admin,
        long maxJsonBytes,
        List<String> trustedProxies,
        RateLimits rateLimits,
        RateLimitStore rateLimitStore,
        Bots bots,
        long webhookMaxBodyBytes,
        java.time.Duration shutdownGrace,
        java.time.Duration bodyReadTimeout) {

    /**
     * Where rate-limit buckets live: {@code LOCAL} in each node's memory (a client may send the limit to every
     * node), {@code POSTGRES} in the database, shared by every node on it.
     */
    public enum RateLimitStore { LOCAL, POSTGRES }

    /**
     * Bot runs at once: across the server and for one bot. A run past either cap is refused at once (429 for
     * the bot's cap, 503 for the server's) rather than queued behind a bot that may be stuck until its timeout.
     */
    public record Bots(int maxConcurrentRuns, int maxConcurrentRunsPerBot) {
        public static final Bots DEFAULTS = new Bots(64, 64);
    }

    /**
     * Requests per client address per minute for each category of URL (Medplum's defaults: 60,000, 1,200, 5).
     *
     * @param defaultPerMinute everything else; {@link #OFF} switches this category off
     * @param authPerMinute {@code /auth/*} and {@code /oauth2/*} except {@code /auth/me}
     * @param loginPerMinute {@code /auth/login}, {@code /auth/newuser}, {@code /auth/newproject}
     */
    public record RateLimits(long defaultPerMinute, long authPerMinute, long loginPerMinute) {
        public static final long OFF = -1;
        public static final RateLimits DEFAULTS = new RateLimits(60_000, 1_200, 5);
    }

    /** External PostgreSQL when {@code url} is present, otherwise the embedded one under the data dir. */
    public record Database(Optional<String> url, String user, String password, int poolSize) {
        public boolean embedded() { return url.isEmpty(); }
    }

    /** Credentials of the bootstrap super-admin ClientApplication, when configured rather than generated. */
    public record Admin(Optional<String> clientId, Optional<String> clientSecret) {}

    public Path postgresDir() { return dataDir.resolve("postgres"); }
}
