package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.ResourceStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;

/**
 * HTTP Basic with {@code clientId:secret} of a ClientApplication. The secret is compared in constant
 * time against {@code secret} and {@code retiringSecret}; the client must not be switched off and its
 * ProjectMembership must be active. Every failure looks the same to the caller (401). Thread-safe.
 *
 * <p>Successful look-ups (three queries) are cached for {@link #TTL}, keyed by the client id and a hash of
 * the secret. An entry is dropped as soon as any ClientApplication, membership or Project write commits in
 * this process ({@link ResourceStore#securityGeneration()}), so switching a client off takes effect at
 * once here; other nodes of a cluster see it within the TTL.
 */
public final class BasicAuthenticator {
    static final java.time.Duration TTL = java.time.Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 10_000;

    private record Cached(Principal principal, java.time.Instant expires, long generation) {}

    private final ResourceStore store;
    private final java.time.Clock clock;
    private final java.util.concurrent.ConcurrentHashMap<String, Cached> cache = new java.util.concurrent.ConcurrentHashMap<>();

    public BasicAuthenticator(ResourceStore store, java.time.Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** The principal for an {@code Authorization} header value, or 401. */
    public Principal authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            throw ApiException.unauthorized("auth.missing-credentials");
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            throw ApiException.unauthorized("auth.malformed-basic");
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) throw ApiException.unauthorized("auth.malformed-basic");
        String clientId = decoded.substring(0, colon);
        String secret = decoded.substring(colon + 1);
        String key = clientId + ":" + java.util.HexFormat.of().formatHex(sha256(secret));
        long generation = store.securityGeneration(); // read before the look-up: a write after it invalidates the entry
        var now = clock.instant();
        var cached = cache.get(key);
        if (cached != null && cached.generation() == generation && now.isBefore(cached.expires())) return cached.principal();
        var principal = findClient(clientId, secret).orElseThrow(() -> ApiException.unauthorized("auth.invalid-client"));
        if (cache.size() >= MAX_ENTRIES) cache.clear(); // bounded: a flood of distinct credentials cannot grow it
        cache.put(key, new Cached(principal, now.plus(TTL), generation));
        return principal;
    }

    private Optional<Principal> findClient(String clientId, String secret) {
        var client = store.findAnyProject("ClientApplication", clientId);
        if (client.isEmpty()) return Optional.empty();
        var json = client.get().json();
        boolean secretMatches = matches(secret, json.path("secret").asText(null))
                | matches(secret, json.path("retiringSecret").asText(null));
        if (!secretMatches) return Optional.empty();
        String status = json.path("status").asText("active");
        if (!"active".equals(status)) return Optional.empty();
        var membership = store.findMembershipByUser(client.get().projectId(), "ClientApplication/" + clientId);
        if (membership.isEmpty()) return Optional.empty();
        var pm = membership.get().json();
        if (!pm.path("active").asBoolean(true)) return Optional.empty();
        String projectId = membership.get().projectId();
        boolean superAdmin = store.findAnyProject("Project", projectId)
                .map(p -> p.json().path("superAdmin").asBoolean(false)).orElse(false);
        return Optional.of(new Principal.Client(clientId, membership.get().id(), projectId,
                pm.path("admin").asBoolean(false), superAdmin));
    }

    /** Constant time in the secret's content: both sides are hashed first, so lengths leak nothing either. */
    static boolean matches(String given, String expected) {
        if (expected == null || expected.isEmpty()) return false;
        return MessageDigest.isEqual(sha256(given), sha256(expected));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
