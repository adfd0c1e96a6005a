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
 */
public final class BasicAuthenticator {
    private final ResourceStore store;

    public BasicAuthenticator(ResourceStore store) {
        this.store = store;
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
        return findClient(clientId, secret).orElseThrow(() -> ApiException.unauthorized("auth.invalid-client"));
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
