package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestServer;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ResourceCrudTest {
    static Api api;

    @BeforeAll
    static void project() {
        api = TestServer.get().newProject().api();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Patient", "Invoice", "Account"})
    void create_read_update_patch_delete_and_history_of_a_resource(String type) {
        var created = api.post("/fhir/R4/" + type, "{\"resourceType\":\"" + type + "\",\"status\":\"active\"}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        var json = created.json();
        String id = json.get("id").asText();
        String v1 = json.path("meta").path("versionId").asText();
        assertThat(json.path("meta").path("lastUpdated").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(created.header("Location")).isEqualTo(TestServer.get().baseUrl() + "fhir/R4/" + type + "/" + id + "/_history/" + v1);
        assertThat(created.header("ETag")).isEqualTo("W/\"" + v1 + "\"");
        assertThat(created.header("Last-Modified")).endsWith("GMT");
        assertThat(created.header("Content-Type")).startsWith("application/fhir+json");

        var read = api.get("/fhir/R4/" + type + "/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json()).isEqualTo(json);
        assertThat(read.header("ETag")).isEqualTo("W/\"" + v1 + "\"");

        var updated = api.put("/fhir/R4/" + type + "/" + id,
                "{\"resourceType\":\"" + type + "\",\"id\":\"" + id + "\",\"status\":\"inactive\"}");
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        String v2 = updated.json().path("meta").path("versionId").asText();
        assertThat(v2).isNotEqualTo(v1);
        assertThat(updated.json().path("status").asText()).isEqualTo("inactive");

        var patched = api.patch("/fhir/R4/" + type + "/" + id, "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"entered-in-error\"}]");
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        String v3 = patched.json().path("meta").path("versionId").asText();
        assertThat(patched.json().path("status").asText()).isEqualTo("entered-in-error");

        assertThat(api.get("/fhir/R4/" + type + "/" + id + "/_history/" + v1).json().path("status").asText()).isEqualTo("active");
        assertThat(api.get("/fhir/R4/" + type + "/" + id + "/_history/" + v2).json().path("status").asText()).isEqualTo("inactive");

        var deleted = api.delete("/fhir/R4/" + type + "/" + id);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().path("id").asText()).isEqualTo("ok");
        var gone = api.get("/fhir/R4/" + type + "/" + id);
        assertThat(gone.status()).isEqualTo(410);
        assertThat(gone.json().path("id").asText()).isEqualTo("gone");

        var history = api.get("/fhir/R4/" + type + "/" + id + "/_history");
        assertThat(history.status()).isEqualTo(200);
        var entries = history.json().path("entry");
        assertThat(history.json().path("type").asText()).isEqualTo("history");
        assertThat(history.json().path("total").asInt()).isEqualTo(4);
        assertThat(entries).hasSize(4);
        assertThat(List.of(entries.get(0).path("request").path("method").asText(), entries.get(1).path("request").path("method").asText(),
                entries.get(2).path("request").path("method").asText(), entries.get(3).path("request").path("method").asText()))
                .containsExactly("DELETE", "PATCH", "PUT", "POST");
        assertThat(entries.get(0).has("resource")).isFalse();
        assertThat(entries.get(0).path("response").path("status").asText()).isEqualTo("410");
        assertThat(entries.get(1).path("resource").path("meta").path("versionId").asText()).isEqualTo(v3);
        assertThat(entries.get(3).path("response").path("status").asText()).isEqualTo("201");

        var typeHistory = api.get("/fhir/R4/" + type + "/_history");
        assertThat(typeHistory.status()).isEqualTo(200);
        assertThat(typeHistory.json().path("entry").findValuesAsText("fullUrl")).contains(TestServer.get().baseUrl() + "fhir/R4/" + type + "/" + id);
    }

    @Test
    void update_with_a_new_client_id_creates_the_resource() {
        String id = "acct-" + System.nanoTime();
        var reply = api.put("/fhir/R4/Account/" + id, "{\"resourceType\":\"Account\",\"id\":\"" + id + "\",\"status\":\"active\"}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        assertThat(reply.header("Location")).contains("/fhir/R4/Account/" + id + "/_history/");
        assertThat(api.get("/fhir/R4/Account/" + id).status()).isEqualTo(200);
    }

    @Test
    void if_match_with_a_stale_version_is_412_and_writes_nothing() {
        var created = api.post("/fhir/R4/Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
        String id = created.json().get("id").asText();
        String v1 = created.json().path("meta").path("versionId").asText();
        var first = api.send(api.request("/fhir/R4/Invoice/" + id).header("Content-Type", Api.FHIR_JSON).header("If-Match", "W/\"" + v1 + "\"")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Invoice\",\"id\":\"" + id + "\",\"status\":\"issued\"}")));
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        var stale = api.send(api.request("/fhir/R4/Invoice/" + id).header("Content-Type", Api.FHIR_JSON).header("If-Match", "W/\"" + v1 + "\"")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Invoice\",\"id\":\"" + id + "\",\"status\":\"cancelled\"}")));
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(api.get("/fhir/R4/Invoice/" + id).json().path("status").asText()).isEqualTo("issued");
        assertThat(api.get("/fhir/R4/Invoice/" + id + "/_history").json().path("total").asInt()).isEqualTo(2);
    }

    @Test
    void prefer_header_chooses_the_response_body() {
        var minimal = api.send(api.request("/fhir/R4/Patient").header("Content-Type", Api.FHIR_JSON).header("Prefer", "return=minimal")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\"}")));
        assertThat(minimal.status()).isEqualTo(201);
        assertThat(minimal.bytes()).isEmpty();
        assertThat(minimal.header("Location")).contains("/fhir/R4/Patient/");
        var outcome = api.send(api.request("/fhir/R4/Patient").header("Content-Type", Api.FHIR_JSON).header("Prefer", "return=OperationOutcome")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\"}")));
        assertThat(outcome.status()).isEqualTo(201);
        assertThat(outcome.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(outcome.json().path("id").asText()).isEqualTo("created");
    }

    @Test
    void an_unchanged_update_writes_no_new_version() {
        var created = api.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
        String id = created.json().get("id").asText();
        var same = api.put("/fhir/R4/Patient/" + id, created.body());
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.json().path("meta").path("versionId")).isEqualTo(created.json().path("meta").path("versionId"));
        assertThat(api.get("/fhir/R4/Patient/" + id + "/_history").json().path("total").asInt()).isEqualTo(1);
    }

    @Test
    void decimals_keep_their_exact_digits() {
        var created = api.post("/fhir/R4/Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"totalNet\":{\"value\":10.10,\"currency\":\"USD\"}}");
        assertThat(created.body()).contains("\"value\":10.10");
    }

    @Test
    void standard_headers_and_trace_id_are_on_every_response() {
        var reply = api.send(api.request("/fhir/R4/Patient/does-not-exist").header("X-Trace-Id", "0f8fad5b-d9cb-469f-a165-70867728950e").GET());
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.header("X-Trace-Id")).isEqualTo("0f8fad5b-d9cb-469f-a165-70867728950e");
        assertThat(reply.header("X-Request-Id")).isNotBlank();
        assertThat(reply.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(reply.header("Cache-Control")).isEqualTo("no-store, no-cache, must-revalidate");
        assertThat(reply.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(reply.header("Server")).isNull();
        var tracing = reply.json().path("extension").path(0);
        assertThat(tracing.path("url").asText()).isEqualTo("https://medplum.com/fhir/StructureDefinition/tracing");
        assertThat(tracing.path("extension").findValuesAsText("valueId")).contains("0f8fad5b-d9cb-469f-a165-70867728950e", reply.header("X-Request-Id"));
        var traceparent = api.send(api.request("/healthcheck").header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").GET());
        assertThat(traceparent.header("X-Trace-Id")).isEqualTo("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    }

    @Test
    void metadata_lists_every_type_with_the_interactions_served() {
        var reply = TestServer.get().anonymous().get("/fhir/R4/metadata");
        assertThat(reply.status()).isEqualTo(200);
        var resources = reply.json().path("rest").path(0).path("resource");
        var types = new java.util.ArrayList<String>();
        resources.forEach(r -> types.add(r.path("type").asText()));
        assertThat(types).contains("Patient", "Invoice", "Account", "Bot", "ProjectMembership").hasSize(156);
        assertThat(resources.get(0).path("interaction").findValuesAsText("code"))
                .containsExactlyInAnyOrder("read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type");
        assertThat(reply.json().path("fhirVersion").asText()).isEqualTo("4.0.1");
    }

    @Test
    void healthcheck_reports_ok_and_postgres() {
        var reply = TestServer.get().anonymous().get("/healthcheck");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("ok").asBoolean()).isTrue();
        assertThat(reply.json().path("postgres").asBoolean()).isTrue();
    }
}
