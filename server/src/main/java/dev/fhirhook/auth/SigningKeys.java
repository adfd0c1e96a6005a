package dev.fhirhook.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EC P-256 keys that sign access tokens, kept as {@code JsonWebKey} resources in the super-admin project
 * (a super-admin-only type) so that every node on the same database signs and verifies with the same keys.
 * The oldest active key signs; every active key verifies. Loaded once at start; immutable, thread-safe.
 */
public final class SigningKeys {
    private static final Logger log = LoggerFactory.getLogger(SigningKeys.class);
    private static final String LOCK = "fhirhook.signing-keys";
    /** The JWK members that make up a key; the rest of the resource (id, meta, active) is ours. */
    private static final List<String> JWK_MEMBERS = List.of("kty", "crv", "x", "y", "d", "kid", "alg", "use");

    private final List<ECKey> keys;

    SigningKeys(List<ECKey> keys) {
        if (keys.isEmpty()) throw new IllegalArgumentException("no signing key");
        this.keys = List.copyOf(keys);
    }

    /**
     * Loads the active ES256 keys of the super-admin project, creating one first when there is none. Nodes
     * starting together on an empty database serialise on a lock, so they end up with one key, not several.
     */
    public static SigningKeys loadOrCreate(ResourceStore store, String superAdminProjectId) {
        return store.inTransaction((tx, jdbc) -> {
            ResourceStore.lock(jdbc, LOCK);
            var keys = new ArrayList<ECKey>();
            for (var stored : tx.findAllInProject(superAdminProjectId, "JsonWebKey")) {
                var json = stored.json();
                if (!json.path("active").asBoolean(false)) continue;
                if (!"ES256".equals(json.path("alg").asText())) {
                    log.warn("JsonWebKey {} is not ES256; it is ignored", stored.id());
                    continue;
                }
                keys.add(parse(json));
            }
            if (keys.isEmpty()) {
                var key = generate();
                var resource = FhirJson.mapper().createObjectNode();
                resource.put("resourceType", "JsonWebKey").put("active", true);
                key.toJSONObject().forEach((name, value) -> resource.put(name, String.valueOf(value)));
                tx.create(Scope.system(superAdminProjectId), resource);
                log.info("created the token signing key {}", key.getKeyID());
                keys.add(key);
            }
            return new SigningKeys(keys);
        });
    }

    /** The key new tokens are signed with (it has the private part). */
    ECKey signing() {
        return keys.getFirst();
    }

    /** The public part of the active key with this {@code kid}. */
    Optional<ECKey> find(String kid) {
        if (kid == null) return Optional.empty();
        return keys.stream().filter(k -> kid.equals(k.getKeyID())).findFirst().map(ECKey::toPublicJWK);
    }

    /** The JWKS document: public parts only. */
    public Map<String, Object> publicJwks() {
        return new JWKSet(new ArrayList<>(keys)).toJSONObject(true);
    }

    static ECKey generate() {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(UUID.randomUUID().toString())
                    .algorithm(JWSAlgorithm.ES256).keyUse(KeyUse.SIGNATURE).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot generate an EC P-256 key: " + e.getMessage(), e);
        }
    }

    private static ECKey parse(com.fasterxml.jackson.databind.node.ObjectNode json) {
        var jwk = FhirJson.mapper().createObjectNode();
        for (String member : JWK_MEMBERS) {
            if (json.has(member)) jwk.set(member, json.get(member));
        }
        try {
            var key = ECKey.parse(FhirJson.text(jwk));
            if (!key.isPrivate() || !Curve.P_256.equals(key.getCurve())) {
                throw new IllegalStateException("JsonWebKey " + json.path("id").asText() + " is not a private P-256 key");
            }
            return key;
        } catch (ParseException e) {
            throw new IllegalStateException("JsonWebKey " + json.path("id").asText() + " is malformed: " + e.getMessage(), e);
        }
    }
}
