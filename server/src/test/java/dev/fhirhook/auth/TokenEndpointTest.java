package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jwt.SignedJWT;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** {@code POST /oauth2/token} through HTTP: client credentials, RFC 6749 errors, and the token used on the API. */
class TokenEndpointTest {
    static final String BASE = TestServer.get().baseUrl();
    static final String FORM = "application/x-www-form-urlencoded";

    @Test
    void form_credentials_buy_a_bearer_token_that_works_for_reads_and_creates() throws Exception {
        var project = TestServer.get().newProject();
        var reply = token(TestServer.get().anonymous(), "grant_type=client_credentials&client_id=" + project.clientId()
                + "&client_secret=" + enc(project.secret()));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.header("Content-Type")).startsWith("application/json");
        assertThat(reply.header("Cache-Control")).contains("no-store");
        var body = reply.json();
        assertThat(body.path("token_type").asText()).isEqualTo("Bearer");
        assertThat(body.path("expires_in").asLong()).isEqualTo(3600);
        assertThat(body.path("scope").asText()).isEqualTo("openid");
        assertThat(body.path("project").path("reference").asText()).isEqualTo("Project/" + project.projectId());
        assertThat(body.path("profile").path("reference").asText()).isEqualTo("ClientApplication/" + project.clientId());

        String token = body.path("access_token").asText();
        var jwt = SignedJWT.parse(token);
        assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
        assertThat(jwt.getHeader().getKeyID()).isNotBlank();
        assertThat(jwt.getHeader().getType().getType()).isEqualTo("JWT");
        var claims = jwt.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo(BASE);
        assertThat(claims.getAudience()).containsExactly(BASE);
        assertThat(claims.getSubject()).isEqualTo(project.clientId());
        assertThat(claims.getStringClaim("client_id")).isEqualTo(project.clientId());
        assertThat(claims.getStringClaim("profile")).isEqualTo("ClientApplication/" + project.clientId());
        assertThat(claims.getStringClaim("scope")).isEqualTo("openid");
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getNotBeforeTime()).isEqualTo(claims.getIssueTime());
        assertThat(Duration.between(claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()))
                .isEqualTo(Duration.ofHours(1));

        var login = TestServer.get().admin().get("/fhir/R4/Login/" + claims.getStringClaim("login_id"));
        assertThat(login.status()).as(login.toString()).isEqualTo(200);
        assertThat(login.json().path("authMethod").asText()).isEqualTo("client");
        assertThat(login.json().path("client").path("reference").asText()).isEqualTo("ClientApplication/" + project.clientId());
        assertThat(login.json().path("membership").path("reference").asText()).startsWith("ProjectMembership/");
        assertThat(login.json().path("granted").asBoolean()).isTrue();
        assertThat(login.json().has("revoked")).isFalse();
        assertThat(login.json().path("remoteAddress").asText()).isEqualTo("127.0.0.1");
        assertThat(login.json().path("userAgent").asText()).isEqualTo("token-test/1.0");

        var bearer = bearer(token);
        assertThat(bearer.get("/fhir/R4/Patient/_history").status()).isEqualTo(200);
        var created = bearer.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Bearer\"}]}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("meta").path("author").path("reference").asText())
                .isEqualTo("ClientApplication/" + project.clientId());
        var read = project.api().get("/fhir/R4/Patient/" + created.json().path("id").asText());
        assertThat(read.status()).as("the same project as with Basic").isEqualTo(200);
    }

    @Test
    void basic_credentials_buy_a_token_and_the_scope_and_lifetime_are_the_clients() {
        var project = TestServer.get().newProject();
        setClient(project, "accessTokenLifetime", "2m");
        var reply = token(new Api(BASE, project.clientId(), project.secret()), "grant_type=client_credentials&scope=openid+profile");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("scope").asText()).isEqualTo("openid profile");
        assertThat(reply.json().path("expires_in").asLong()).isEqualTo(120);
        assertThat(bearer(reply.json().path("access_token").asText()).get("/fhir/R4/Patient/_history").status()).isEqualTo(200);
    }

    @Test
    void the_retiring_secret_also_buys_a_token() {
        var project = TestServer.get().newProject();
        setClient(project, "retiringSecret", project.secret());
        setClient(project, "secret", "the-new-secret-0123456789");
        assertThat(token(new Api(BASE, project.clientId(), project.secret()), "grant_type=client_credentials").status())
                .isEqualTo(200);
        assertThat(token(new Api(BASE, project.clientId(), "the-new-secret-0123456789"), "grant_type=client_credentials")
                .status()).isEqualTo(200);
    }

    @Test
    void errors_are_rfc_6749_objects_with_medplums_texts() {
        var project = TestServer.get().newProject();
        var anonymous = TestServer.get().anonymous();
        String id = project.clientId();
        String secret = enc(project.secret());
        expectError(token(anonymous, "client_id=" + id + "&client_secret=" + secret), "invalid_request", "Missing grant_type");
        expectError(token(anonymous, "grant_type=password&username=a&password=b"), "unsupported_grant_type",
                "Unsupported grant_type");
        expectError(token(anonymous, "grant_type=authorization_code&code=x"), "unsupported_grant_type", "Unsupported grant_type");
        expectError(token(anonymous, "grant_type=client_credentials"), "invalid_request", "Missing client_id");
        expectError(token(anonymous, "grant_type=client_credentials&client_secret=" + secret), "invalid_request",
                "Missing client_id");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id), "invalid_request", "Missing client_secret");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_secret="), "invalid_request",
                "Missing client_secret");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=no-such-client&client_secret=x"),
                "invalid_request", "Invalid client");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_secret=wrong"),
                "invalid_request", "Invalid secret");
        expectError(token(new Api(BASE, id, "wrong"), "grant_type=client_credentials"), "invalid_request", "Invalid secret");
        expectError(token(new Api(BASE, "", "x"), "grant_type=client_credentials"), "invalid_request", "Missing client_id");
        expectError(token(anonymous.request("/oauth2/token").header("Authorization", "Basic " + b64(id)),
                "grant_type=client_credentials"), "invalid_request", "Missing client_secret");
        expectError(token(anonymous.request("/oauth2/token").header("Authorization", "Basic !!!"),
                "grant_type=client_credentials"), "invalid_request", "Invalid authorization header");
        expectError(token(new Api(BASE, id, project.secret()), "grant_type=client_credentials&client_id=someone-else"),
                "invalid_request", "Client ID mismatch");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret + "&bad=%zz"),
                "invalid_request", "Invalid form body");
        // RFC 6749 3.1: parameters must not be sent twice; the first one used to win
        expectError(token(anonymous, "grant_type=client_credentials&grant_type=password&client_id=" + id + "&client_secret="
                + secret), "invalid_request", "Repeated parameter: grant_type");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_id=other&client_secret="
                + secret), "invalid_request", "Repeated parameter: client_id");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret
                + "&client_secret=" + secret), "invalid_request", "Repeated parameter: client_secret");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret
                + "&scope=openid&scope=x"), "invalid_request", "Repeated parameter: scope");

        setClient(project, "status", "off");
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret),
                "invalid_request", "Invalid client");

        var inactive = TestServer.get().newProject();
        setMembershipActive(inactive, false);
        expectError(token(anonymous, "grant_type=client_credentials&client_id=" + inactive.clientId() + "&client_secret="
                + enc(inactive.secret())), "invalid_request", "Invalid client");
    }

    @Test
    void a_body_that_is_not_a_form_is_refused_in_plain_text() {
        var project = TestServer.get().newProject();
        String form = "grant_type=client_credentials&client_id=" + project.clientId() + "&client_secret=" + enc(project.secret());
        for (String type : new String[] {"application/json", "text/plain", "multipart/form-data; boundary=x"}) {
            var reply = TestServer.get().anonymous().raw("POST", "/oauth2/token", type, form.getBytes(StandardCharsets.UTF_8));
            assertThat(reply.status()).as(type).isEqualTo(400);
            assertThat(reply.header("Content-Type")).startsWith("text/plain");
            assertThat(reply.body()).isEqualTo("Unsupported content type");
        }
        var none = TestServer.get().anonymous().raw("POST", "/oauth2/token", null, form.getBytes(StandardCharsets.UTF_8));
        assertThat(none.body()).isEqualTo("Unsupported content type");
        var charset = TestServer.get().anonymous().raw("POST", "/oauth2/token", FORM + "; charset=UTF-8",
                form.getBytes(StandardCharsets.UTF_8));
        assertThat(charset.status()).as(charset.toString()).isEqualTo(200);
    }

    @Test
    void the_jwks_has_the_signing_kid_and_no_private_parts() throws Exception {
        var project = TestServer.get().newProject();
        String token = accessToken(project);
        String kid = SignedJWT.parse(token).getHeader().getKeyID();
        var jwks = TestServer.get().anonymous().get("/.well-known/jwks.json");
        assertThat(jwks.status()).isEqualTo(200);
        assertThat(jwks.header("Content-Type")).startsWith("application/json");
        var keys = jwks.json().path("keys");
        assertThat(keys.isArray()).isTrue();
        JsonNode signing = null;
        for (var key : keys) {
            assertThat(key.has("d")).as("no private part: " + key).isFalse();
            if (kid.equals(key.path("kid").asText())) signing = key;
        }
        assertThat(signing).as("the kid of issued tokens is published").isNotNull();
        assertThat(signing.path("kty").asText()).isEqualTo("EC");
        assertThat(signing.path("crv").asText()).isEqualTo("P-256");
        assertThat(signing.path("alg").asText()).isEqualTo("ES256");
        assertThat(signing.has("x") && signing.has("y")).isTrue();
        // and the published key really verifies the token
        var publicKey = com.nimbusds.jose.jwk.ECKey.parse(signing.toString());
        assertThat(SignedJWT.parse(token).verify(new com.nimbusds.jose.crypto.ECDSAVerifier(publicKey))).isTrue();
    }

    @Test
    void the_discovery_document_names_the_token_endpoint_and_keys() {
        var reply = TestServer.get().anonymous().get("/.well-known/openid-configuration");
        assertThat(reply.status()).isEqualTo(200);
        var doc = reply.json();
        assertThat(doc.path("issuer").asText()).isEqualTo(BASE);
        assertThat(doc.path("token_endpoint").asText()).isEqualTo(BASE + "oauth2/token");
        assertThat(doc.path("jwks_uri").asText()).isEqualTo(BASE + ".well-known/jwks.json");
        assertThat(doc.path("grant_types_supported").toString()).isEqualTo("[\"client_credentials\"]");
        assertThat(doc.path("token_endpoint_auth_methods_supported").toString())
                .contains("client_secret_basic").contains("client_secret_post");
        assertThat(doc.path("id_token_signing_alg_values_supported").toString()).isEqualTo("[\"ES256\"]");
    }

    @Test
    void the_capability_statement_names_oauth() {
        var security = TestServer.get().anonymous().get("/fhir/R4/metadata").json().path("rest").path(0).path("security");
        assertThat(security.path("service").toString()).contains("OAuth").contains("Basic");
    }

    // --- helpers shared with BearerTokenTest ------------------------------------------------------------

    static String accessToken(TestProject project) {
        var reply = token(new Api(BASE, project.clientId(), project.secret()), "grant_type=client_credentials");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("access_token").asText();
    }

    static Api.Reply token(Api api, String form) {
        return token(api.request("/oauth2/token"), form);
    }

    static Api.Reply token(java.net.http.HttpRequest.Builder request, String form) {
        return TestServer.get().anonymous().send(request.header("Content-Type", FORM).header("User-Agent", "token-test/1.0")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form)));
    }

    /** A client that sends {@code Authorization: Bearer <token>}. */
    static BearerApi bearer(String token) {
        return new BearerApi(token);
    }

    /** Requests with a bearer token instead of Basic credentials. */
    record BearerApi(String token) {
        Api.Reply get(String path) {
            var anonymous = TestServer.get().anonymous();
            return anonymous.send(anonymous.request(path).header("Authorization", "Bearer " + token).GET());
        }

        Api.Reply post(String path, String json) {
            var anonymous = TestServer.get().anonymous();
            return anonymous.send(anonymous.request(path).header("Authorization", "Bearer " + token)
                    .header("Content-Type", Api.FHIR_JSON).POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)));
        }
    }

    static void setClient(TestProject project, String field, String value) {
        var admin = TestServer.get().admin();
        var client = (ObjectNode) admin.get("/fhir/R4/ClientApplication/" + project.clientId()).json();
        client.put(field, value);
        var reply = admin.put("/fhir/R4/ClientApplication/" + project.clientId(), client.toString());
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    static void setMembershipActive(TestProject project, boolean active) {
        var admin = TestServer.get().admin();
        var found = admin.get("/fhir/R4/ProjectMembership?user=ClientApplication/" + project.clientId());
        String membershipId = null;
        for (var entry : found.json().path("entry")) membershipId = entry.path("resource").path("id").asText();
        assertThat(membershipId).as(found.toString()).isNotNull();
        var reply = admin.patch("/fhir/R4/ProjectMembership/" + membershipId,
                "[{\"op\":\"add\",\"path\":\"/active\",\"value\":" + active + "}]");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private static void expectError(Api.Reply reply, String error, String description) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.header("Content-Type")).startsWith("application/json");
        JsonNode body = reply.json();
        assertThat(body.path("error").asText()).as(reply.toString()).isEqualTo(error);
        assertThat(body.path("error_description").asText()).as(reply.toString()).isEqualTo(description);
        assertThat(body.has("resourceType")).as("not an OperationOutcome").isFalse();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static final ObjectMapper JSON = new ObjectMapper();
}
