package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class BasicAuthTest {
    private static final String BASE = TestServer.get().baseUrl();

    @Test
    void fhir_routes_without_credentials_answer_401_with_www_authenticate() {
        var reply = TestServer.get().anonymous().get("/fhir/R4/Patient/123");
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.json().path("id").asText()).isEqualTo("unauthorized");
        assertThat(reply.json().path("issue").path(0).path("code").asText()).isEqualTo("login");
        assertThat(reply.header("WWW-Authenticate")).isEqualTo("Basic realm=\"" + BASE + "\"");
    }

    @Test
    void a_wrong_secret_an_unknown_client_and_malformed_headers_are_401() {
        var project = TestServer.get().newProject();
        assertThat(new Api(BASE, project.clientId(), "wrong").get("/fhir/R4/Patient/_history").status()).isEqualTo(401);
        assertThat(new Api(BASE, "no-such-client", project.secret()).get("/fhir/R4/Patient/_history").status()).isEqualTo(401);
        for (String header : new String[] {"Basic", "Basic !!!", "Basic " + b64("nocolon"), "Basic " + b64(":secret"),
                "Bearer abc", "Digest x", "Basic " + b64("../../etc:x"), "Basic " + b64("' or 1=1 --:x")}) {
            var reply = TestServer.get().anonymous().send(TestServer.get().anonymous().request("/fhir/R4/Patient/_history")
                    .header("Authorization", header).GET());
            assertThat(reply.status()).as(header).isEqualTo(401);
        }
        var bearer = TestServer.get().anonymous().send(TestServer.get().anonymous().request("/fhir/R4/Patient/_history")
                .header("Authorization", "Bearer abc").GET());
        assertThat(bearer.header("WWW-Authenticate")).startsWith("Bearer ");
    }

    @Test
    void the_retiring_secret_is_accepted_so_rotation_does_not_break_webhook_urls() {
        var project = TestServer.get().newProject();
        var admin = TestServer.get().admin();
        var client = admin.get("/fhir/R4/ClientApplication/" + project.clientId()).json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) client).put("retiringSecret", project.secret()).put("secret", "new-secret-123456789");
        assertThat(admin.put("/fhir/R4/ClientApplication/" + project.clientId(), client.toString()).status()).isEqualTo(200);
        assertThat(new Api(BASE, project.clientId(), project.secret()).get("/fhir/R4/Patient/_history").status()).isEqualTo(200);
        assertThat(new Api(BASE, project.clientId(), "new-secret-123456789").get("/fhir/R4/Patient/_history").status()).isEqualTo(200);
    }

    @Test
    void a_client_that_is_switched_off_or_whose_membership_is_inactive_is_refused() {
        var admin = TestServer.get().admin();
        TestProject off = TestServer.get().newProject();
        var client = (com.fasterxml.jackson.databind.node.ObjectNode) admin.get("/fhir/R4/ClientApplication/" + off.clientId()).json();
        client.put("status", "off");
        assertThat(admin.put("/fhir/R4/ClientApplication/" + off.clientId(), client.toString()).status()).isEqualTo(200);
        assertThat(off.api().get("/fhir/R4/Patient/_history").status()).isEqualTo(401);

        TestProject inactive = TestServer.get().newProject();
        assertThat(inactive.api().get("/fhir/R4/Patient/_history").status()).isEqualTo(200);
        var history = admin.get("/fhir/R4/ProjectMembership/_history?_count=1000").json().path("entry");
        String membershipId = null;
        for (var entry : history) {
            if (entry.path("resource").path("user").path("reference").asText().equals("ClientApplication/" + inactive.clientId())) {
                membershipId = entry.path("resource").path("id").asText();
            }
        }
        assertThat(membershipId).isNotNull();
        assertThat(admin.patch("/fhir/R4/ProjectMembership/" + membershipId, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]").status())
                .isEqualTo(200);
        assertThat(inactive.api().get("/fhir/R4/Patient/_history").status()).isEqualTo(401);
    }

    @Test
    void credentials_are_checked_before_the_body_is_read() throws Exception {
        // A request announcing 2 MiB (over the 1 MiB limit) is answered while most of the body is still unsent: an
        // anonymous one with 401, an authenticated one, past the credentials check, with 413. Sent over a raw
        // socket, because a client that keeps writing the whole body may see the server's close as a reset and
        // lose the answer.
        assertThat(answerToLargeBody(null)).startsWith("HTTP/1.1 401");
        assertThat(answerToLargeBody(TestServer.ADMIN_ID + ":" + TestServer.ADMIN_SECRET)).startsWith("HTTP/1.1 413");
    }

    /** The status line of the answer to a POST announcing 2 MiB of which 1 KiB is sent; asserts the connection closes. */
    private static String answerToLargeBody(String credentials) throws Exception {
        var url = java.net.URI.create(TestServer.get().baseUrl());
        try (var socket = new java.net.Socket(url.getHost(), url.getPort())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(("POST /fhir/R4/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\n"
                    + (credentials == null ? "" : "Authorization: Basic " + b64(credentials) + "\r\n")
                    + "Content-Length: " + 2 * 1024 * 1024 + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1024]);
            out.flush();
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            String status = reader.readLine();
            var headers = new java.util.ArrayList<String>();
            for (String line = reader.readLine(); line != null && !line.isEmpty(); line = reader.readLine()) {
                headers.add(line.toLowerCase(java.util.Locale.ROOT));
            }
            assertThat(headers).as("unread body: the connection is not reused").contains("connection: close");
            return status;
        }
    }

    @Test
    void metadata_and_healthcheck_need_no_credentials() {
        assertThat(TestServer.get().anonymous().get("/fhir/R4/metadata").status()).isEqualTo(200);
        assertThat(TestServer.get().anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void the_prompt_basic_auth_parameter_asks_for_basic_even_after_a_bearer_token() {
        var anonymous = TestServer.get().anonymous();
        String execute = "/fhir/R4/Bot/00000000-0000-0000-0000-000000000000/$execute";
        for (String query : new String[] {"?_medplum-prompt-basic-auth", "?_medplum-prompt-basic-auth=true",
                "?a=1&_medplum-prompt-basic-auth=", "?%5Fmedplum-prompt-basic-auth"}) {
            for (String authorization : new String[] {"Bearer x", "Bearer", "Basic !!!", null}) {
                var request = anonymous.request(execute + query);
                if (authorization != null) request.header("Authorization", authorization);
                var reply = anonymous.send(request.GET());
                assertThat(reply.status()).as(query + " " + authorization).isEqualTo(401);
                assertThat(reply.header("WWW-Authenticate")).as(query + " " + authorization)
                        .isEqualTo("Basic realm=\"" + BASE + "\"");
            }
        }
        for (String query : new String[] {"", "?_medplum-prompt-basic", "?x=_medplum-prompt-basic-auth"}) {
            var reply = anonymous.send(anonymous.request(execute + query).header("Authorization", "Bearer x").GET());
            assertThat(reply.header("WWW-Authenticate")).as(query).startsWith("Bearer ");
        }
        var other = anonymous.send(anonymous.request("/fhir/R4/Patient?_medplum-prompt-basic-auth")
                .header("Authorization", "Bearer x").GET());
        assertThat(other.header("WWW-Authenticate")).startsWith("Basic ");
        assertThat(anonymous.get("/healthcheck").status()).isEqualTo(200);
    }
}
