package dev.fhirhook.auth;

import static dev.fhirhook.auth.TokenEndpointTest.accessToken;
import static dev.fhirhook.auth.TokenEndpointTest.bearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.search.SearchIndexer;
import dev.fhirhook.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * Bearer tokens on the API through HTTP: every forged, stale or withdrawn token is a 401 with a Bearer
 * challenge. Tokens with other times or issuers are signed with the server's real key (read from the same
 * database) by {@link AccessTokens} on a fixed clock, so only the one property under test is wrong.
 */
class BearerTokenTest {
    private static final String BASE = TestServer.get().baseUrl();
    private static final String PATH = "/fhir/R4/Patient/_history";
    private static final SearchIndexer INDEXER = new SearchIndexer(SearchParameters.load(ResourceTypes.load()));

    @Test
    void a_valid_token_passes_and_the_401_challenge_is_bearer() {
        var project = TestServer.get().newProject();
        assertThat(bearer(accessToken(project)).get(PATH).status()).isEqualTo(200);
        var reply = bearer("not-a-jwt").get(PATH);
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + BASE + "\"");
    }

    @Test
    void a_token_whose_signature_or_payload_was_changed_is_refused() throws Exception {
        var project = TestServer.get().newProject();
        String token = accessToken(project);
        String[] parts = token.split("\\.");
        char[] signature = parts[2].toCharArray();
        int middle = signature.length / 2;
        signature[middle] = signature[middle] == 'A' ? 'B' : 'A';
        expect401(parts[0] + "." + parts[1] + "." + new String(signature));

        // the same signature over claims naming another client
        var other = TestServer.get().newProject();
        var claims = SignedJWT.parse(token).getJWTClaimsSet().toJSONObject();
        claims.put("client_id", other.clientId());
        String payload = Base64URL.encode(TokenEndpointTest.JSON.writeValueAsBytes(claims)).toString();
        expect401(parts[0] + "." + payload + "." + parts[2]);
        expect401(parts[0] + "." + parts[1] + ".");
    }

    @Test
    void alg_none_and_hs256_signed_with_the_public_key_are_refused() throws Exception {
        var project = TestServer.get().newProject();
        var real = SignedJWT.parse(accessToken(project));
        var claims = real.getJWTClaimsSet();
        String kid = real.getHeader().getKeyID();

        String noneHeader = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}").toString();
        String payload = real.getParsedParts()[1].toString();
        expect401(noneHeader + "." + payload + ".");
        expect401(noneHeader + "." + payload + "." + real.getParsedParts()[2]);

        // the classic confusion: the verifier's public key used as an HMAC secret
        var jwks = TestServer.get().anonymous().get("/.well-known/jwks.json").json().path("keys");
        int tried = 0;
        for (var key : jwks) {
            if (!kid.equals(key.path("kid").asText())) continue;
            tried++;
            var publicKey = com.nimbusds.jose.jwk.ECKey.parse(key.toString());
            for (byte[] secret : new byte[][] {publicKey.toECPublicKey().getEncoded(),
                    key.toString().getBytes(StandardCharsets.UTF_8)}) {
                var hs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(kid).build(), claims);
                hs.sign(new MACSigner(secret));
                expect401(hs.serialize());
            }
        }
        assertThat(tried).as("the signing key is published").isEqualTo(1);
    }

    @Test
    void a_token_signed_by_another_key_with_the_same_kid_or_an_unknown_kid_is_refused() throws Exception {
        var project = TestServer.get().newProject();
        var real = SignedJWT.parse(accessToken(project));
        var otherKey = SigningKeys.generate();
        var sameKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(real.getHeader().getKeyID()).build(),
                real.getJWTClaimsSet());
        sameKid.sign(new ECDSASigner(otherKey));
        expect401(sameKid.serialize());
        var unknownKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(otherKey.getKeyID()).build(),
                real.getJWTClaimsSet());
        unknownKid.sign(new ECDSASigner(otherKey));
        expect401(unknownKid.serialize());
        var noKid = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).build(), real.getJWTClaimsSet());
        noKid.sign(new ECDSASigner(otherKey));
        expect401(noKid.serialize());
    }

    @Test
    void expired_not_yet_valid_and_foreign_issuer_tokens_are_refused_within_the_leeway() throws Exception {
        var project = TestServer.get().newProject();
        var claims = claimsOf(accessToken(project));
        var now = Instant.now();
        var hour = Duration.ofHours(1);

        expect401(serverSigned(now.minus(hour).minusSeconds(120)).issue(BASE, claims, hour));
        expect401(serverSigned(now.plusSeconds(600)).issue(BASE, claims, hour));
        expect401(serverSigned(now).issue("https://elsewhere.example/", claims, hour));
        assertThat(bearer(serverSigned(now).issue(BASE, claims, hour)).get(PATH).status()).as("control").isEqualTo(200);
        // small clock differences between nodes are tolerated
        assertThat(bearer(serverSigned(now.minus(hour).minusSeconds(10)).issue(BASE, claims, hour)).get(PATH).status())
                .isEqualTo(200);
        assertThat(bearer(serverSigned(now.plusSeconds(10)).issue(BASE, claims, hour)).get(PATH).status()).isEqualTo(200);
    }

    @Test
    void a_token_without_exp_or_with_another_audience_is_refused() throws Exception {
        var project = TestServer.get().newProject();
        var real = SignedJWT.parse(accessToken(project)).getJWTClaimsSet();
        var key = serverKeys().signing();
        var noExp = new JWTClaimsSet.Builder(real).expirationTime(null).build();
        var otherAudience = new JWTClaimsSet.Builder(real).audience("https://elsewhere.example/").build();
        for (var claims : new JWTClaimsSet[] {noExp, otherAudience}) {
            var jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new ECDSASigner(key));
            expect401(jwt.serialize());
        }
        var control = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(), real);
        control.sign(new ECDSASigner(key));
        assertThat(bearer(control.serialize()).get(PATH).status()).isEqualTo(200);
    }

    @Test
    void a_revoked_login_an_inactive_membership_or_a_switched_off_client_ends_the_token() throws Exception {
        var admin = TestServer.get().admin();

        var revoked = TestServer.get().newProject();
        String token = accessToken(revoked);
        assertThat(bearer(token).get(PATH).status()).isEqualTo(200);
        String loginId = claimsOf(token).loginId();
        var login = (ObjectNode) admin.get("/fhir/R4/Login/" + loginId).json();
        login.put("revoked", true);
        var put = admin.put("/fhir/R4/Login/" + loginId, login.toString());
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        expect401(token);
        assertThat(bearer(accessToken(revoked)).get(PATH).status()).as("a new login still works").isEqualTo(200);

        var inactive = TestServer.get().newProject();
        token = accessToken(inactive);
        TokenEndpointTest.setMembershipActive(inactive, false);
        expect401(token);

        var off = TestServer.get().newProject();
        token = accessToken(off);
        TokenEndpointTest.setClient(off, "status", "off");
        expect401(token);
    }

    @Test
    void deleting_the_client_or_its_membership_ends_its_tokens_for_good_even_if_written_again() {
        var admin = TestServer.get().admin();
        var member = dev.fhirhook.testing.Members.member(TestServer.get().newProject(), "");
        var byClient = member.bearer();
        assertThat(byClient.get(PATH).status()).isEqualTo(200);
        var client = admin.get("/fhir/R4/ClientApplication/" + member.clientId()).json();
        assertThat(admin.delete("/fhir/R4/ClientApplication/" + member.clientId()).status()).isEqualTo(200);
        assertThat(byClient.get(PATH).status()).isEqualTo(401);
        var again = admin.put("/fhir/R4/ClientApplication/" + member.clientId(), client.toString());
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertThat(byClient.get(PATH).status()).as("the old token stays ended").isEqualTo(401);

        var byMembership = member.bearer(); // a new token works
        assertThat(byMembership.get(PATH).status()).isEqualTo(200);
        var membership = admin.get("/fhir/R4/ProjectMembership/" + member.membershipId()).json();
        assertThat(admin.delete("/fhir/R4/ProjectMembership/" + member.membershipId()).status()).isEqualTo(200);
        var restored = admin.put("/fhir/R4/ProjectMembership/" + member.membershipId(), membership.toString());
        assertThat(restored.status()).as(restored.toString()).isEqualTo(201);
        assertThat(byMembership.get(PATH).status()).as("the old token stays ended").isEqualTo(401);
        assertThat(member.bearer().get(PATH).status()).isEqualTo(200);
    }

    @Test
    void a_login_of_another_client_does_not_lend_its_rights() throws Exception {
        var mine = TestServer.get().newProject();
        var theirs = TestServer.get().newProject();
        var their = claimsOf(accessToken(theirs));
        var borrowed = new AccessTokens.Claims(their.loginId(), mine.clientId(), their.profile(), their.scope());
        expect401(serverSigned(Instant.now()).issue(BASE, borrowed, Duration.ofHours(1)));
        expect401(serverSigned(Instant.now()).issue(BASE,
                new AccessTokens.Claims("no-such-login", mine.clientId(), their.profile(), their.scope()), Duration.ofHours(1)));
    }

    // --- helpers ------------------------------------------------------------------------------------------

    private static void expect401(String token) {
        var reply = bearer(token).get(PATH);
        assertThat(reply.status()).as(token + " -> " + reply).isEqualTo(401);
        assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + BASE + "\"");
    }

    private static AccessTokens.Claims claimsOf(String token) throws Exception {
        var claims = SignedJWT.parse(token).getJWTClaimsSet();
        return new AccessTokens.Claims(claims.getStringClaim("login_id"), claims.getStringClaim("client_id"),
                claims.getStringClaim("profile"), claims.getStringClaim("scope"));
    }

    /** The server's own keys, read from its database: they are stored there for every node to use. */
    static SigningKeys serverKeys() {
        var db = TestServer.get().server().database().jdbc();
        var store = new ResourceStore(db, Clock.systemUTC(), INDEXER);
        return SigningKeys.loadOrCreate(store, store.findSuperAdminProject().orElseThrow().id());
    }

    private static AccessTokens serverSigned(Instant issuedAt) {
        return new AccessTokens(serverKeys(), Clock.fixed(issuedAt, ZoneOffset.UTC));
    }
}
