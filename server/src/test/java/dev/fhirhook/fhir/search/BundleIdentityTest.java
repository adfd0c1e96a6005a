package dev.fhirhook.fhir.search;

import static dev.fhirhook.fhir.search.BundleEntryUrlTest.bundle;
import static dev.fhirhook.fhir.search.BundleEntryUrlTest.post;
import static dev.fhirhook.fhir.search.BundleEntryUrlTest.versions;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * What a Bundle's entries stand for must be unambiguous: fullUrls are unique (FHIR bdl-7), and in a transaction no
 * two entries may create, change or delete the same resource, by its literal id, by the id a condition resolves to,
 * or by the same conditional criteria. Each is refused with a 400 naming the entry, before anything is written.
 */
class BundleIdentityTest {

    @Test
    void a_transaction_repeating_a_full_url_is_400_and_writes_nothing() {
        var fhir = FhirClient.inNewProject();
        // the fuzzed case: the Observation's subject was rewritten to point at the Observation itself
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","name":[{"family":"Dup"}]},
                   "request":{"method":"POST","url":"Patient"}},
                  {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Observation","status":"final",
                     "code":{"text":"x"},"subject":{"reference":"urn:uuid:a"}},
                   "request":{"method":"POST","url":"Observation"}}]}""");
        assertDuplicateFullUrl(reply, 1, 0);

        String absolute = FhirClient.baseUrl() + "fhir/R4/Patient/dup-1";
        for (List<String> entries : List.of(
                // the same fullUrl on a create and a read
                List.of(create("urn:uuid:2d7c8f9e-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "Patient", "{}"),
                        "{\"fullUrl\":\"urn:uuid:2d7c8f9e-1a2b-4c3d-8e4f-5a6b7c8d9e0f\","
                                + "\"request\":{\"method\":\"GET\",\"url\":\"Patient?name=x\"}}"),
                // two updates of different resources that claim the same absolute fullUrl
                List.of(put(absolute, "Patient/dup-1", "dup-1", "{}"), put(absolute, "Patient/dup-2", "dup-2", "{}")),
                // bdl-7 lets versions of one resource share a fullUrl, but a transaction writes each resource once
                List.of(put(absolute, "Patient/dup-1", "dup-1", "{\"versionId\":\"1\"}"),
                        put(absolute, "Patient/dup-2", "dup-2", "{\"versionId\":\"2\"}")))) {
            assertDuplicateFullUrl(post(fhir, bundle("transaction", entries)), 1, 0);
        }
        // the third of three repeats the first: that one is named
        var third = post(fhir, bundle("transaction", List.of(create("urn:uuid:x-1", "Patient", "{}"),
                create("urn:uuid:x-2", "Patient", "{}"), create("urn:uuid:x-1", "Patient", "{}"))));
        assertDuplicateFullUrl(third, 2, 0);

        assertThat(versions(fhir, "Patient")).isZero();
        assertThat(versions(fhir, "Observation")).isZero();
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_batch_repeating_a_full_url_is_400_and_runs_no_entry() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, bundle("batch", List.of(create("urn:uuid:b-1", "Patient", "{}"),
                put(null, "Patient/batch-dup", "batch-dup", "{}"), create("urn:uuid:b-1", "Patient", "{}"))));
        assertDuplicateFullUrl(reply, 2, 0);
        assertThat(versions(fhir, "Patient")).isZero();
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_batch_may_repeat_a_full_url_for_different_versions_as_bdl_7_allows() {
        var fhir = FhirClient.inNewProject();
        String fullUrl = FhirClient.baseUrl() + "fhir/R4/Patient/versions-1";
        var reply = post(fhir, bundle("batch", List.of(
                put(fullUrl, "Patient/versions-1", "versions-1", "{\"versionId\":\"1\"}"),
                "{\"fullUrl\":\"" + fullUrl + "\",\"request\":{\"method\":\"GET\",\"url\":\"Patient/versions-1\"}}")));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("entry").path(0).path("response").path("status").asText()).isEqualTo("201");
        assertThat(reply.json().path("entry").path(1).path("response").path("status").asText()).isEqualTo("200");
    }

    @Test
    void two_puts_of_one_new_resource_in_a_transaction_are_400_and_write_nothing() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, bundle("transaction", List.of(put(null, "Patient/same1", "same1", "{}"),
                put(null, "Patient/same1", "same1", "{}"))));
        assertOverlap(reply, 1, 0);
        assertThat(fhir.api().get("/fhir/R4/Patient/same1").status()).isEqualTo(404);
        assertThat(versions(fhir, "Patient")).isZero();
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    /**
     * Each case: two entries that address one resource, mostly the existing Patient x (identifier
     * {@code http://ids.example|x}), each in its own way.
     */
    @Test
    void a_transaction_addressing_one_resource_twice_is_400_and_changes_nothing() {
        String base = FhirClient.baseUrl() + "fhir/R4/";
        String byIdentifier = "identifier=http://ids.example|%s";
        Map<String, Function<String, List<String>>> cases = new java.util.LinkedHashMap<>();
        cases.put("PUT and PUT", x -> List.of(put(null, "Patient/" + x, x, "{}"), put(null, "Patient/" + x, x, "{}")));
        cases.put("DELETE and PUT", x -> List.of(delete("Patient/" + x), put(null, "Patient/" + x, x, "{}")));
        cases.put("PUT and DELETE, which runs first", x -> List.of(put(null, "Patient/" + x, x, "{}"), delete("Patient/" + x)));
        cases.put("DELETE and DELETE", x -> List.of(delete("Patient/" + x), delete("Patient/" + x)));
        cases.put("PATCH and PUT", x -> List.of(patch("Patient/" + x), put(null, "Patient/" + x, x, "{}")));
        cases.put("PATCH and PATCH", x -> List.of(patch("Patient/" + x), patch("Patient/" + x)));
        cases.put("DELETE and PATCH", x -> List.of(delete("Patient/" + x), patch("Patient/" + x)));
        cases.put("relative and absolute URL", x -> List.of(put(null, "Patient/" + x, x, "{}"),
                put(null, base + "Patient/" + x, x, "{}")));
        cases.put("conditional PUT resolving to it, and PUT", x -> List.of(
                put(null, "Patient?" + byIdentifier.formatted(x), null, "{}"), put(null, "Patient/" + x, x, "{}")));
        cases.put("PUT, and conditional PUT resolving to it", x -> List.of(put(null, "Patient/" + x, x, "{}"),
                put(null, "Patient?" + byIdentifier.formatted(x), null, "{}")));
        cases.put("conditional PATCH resolving to it, and DELETE", x -> List.of(
                patch("Patient?" + byIdentifier.formatted(x)), delete("Patient/" + x)));
        cases.put("conditional DELETE resolving to it, and PUT", x -> List.of(
                delete("Patient?" + byIdentifier.formatted(x)), put(null, "Patient/" + x, x, "{}")));
        cases.put("conditional DELETE resolving to it, and DELETE", x -> List.of(
                delete("Patient?" + byIdentifier.formatted(x)), delete("Patient/" + x)));
        cases.put("DELETE, and conditional DELETE resolving to it", x -> List.of(
                delete("Patient/" + x), delete("Patient?" + byIdentifier.formatted(x))));
        cases.put("two conditional DELETEs with other criteria", x -> List.of(
                delete("Patient?" + byIdentifier.formatted(x)), delete("Patient?_id=" + x)));
        cases.put("conditional create finding it, and PUT", x -> List.of(
                conditionalPost("urn:uuid:c-1", byIdentifier.formatted(x), x), put(null, "Patient/" + x, x, "{}")));
        cases.put("conditional create finding it, and DELETE", x -> List.of(
                conditionalPost("urn:uuid:c-1", byIdentifier.formatted(x), x), delete("Patient/" + x)));
        // a body id that is free: one that is taken is the conditional PUT's own 409 (ConditionalTest)
        cases.put("conditional PUT creating with its body id, and PUT", x -> List.of(
                put(null, "Patient?identifier=http://ids.example|nobody", "new-" + x, "{}"),
                put(null, "Patient/new-" + x, "new-" + x, "{}")));
        cases.put("two conditional creates with the same criteria", x -> List.of(
                conditionalPost("urn:uuid:c-1", byIdentifier.formatted("new-" + x), "new-" + x),
                conditionalPost("urn:uuid:c-2", byIdentifier.formatted("new-" + x), "new-" + x)));
        cases.put("two conditional PUTs with the same criteria in another order", x -> List.of(
                put(null, "Patient?active=true&" + byIdentifier.formatted("new-" + x), null, "{}"),
                put(null, "Patient?" + byIdentifier.formatted("new-" + x) + "&active=true", null, "{}")));
        cases.put("create, and conditional PUT finding what it created", x -> List.of(
                conditionalPost("urn:uuid:c-1", "", "new-" + x),
                put(null, "Patient?" + byIdentifier.formatted("new-" + x), null, "{}")));

        var fhir = FhirClient.inNewProject();
        int n = 0;
        for (var c : cases.entrySet()) {
            String x = "x" + n++;
            var put = fhir.api().put("/fhir/R4/Patient/" + x, """
                    {"resourceType":"Patient","id":"%s","identifier":[{"system":"http://ids.example","value":"%1$s"}],
                     "active":true}""".formatted(x));
            assertThat(put.status()).as(put.toString()).isEqualTo(201);
            String xVersion = put.json().path("meta").path("versionId").asText();
            int before = versions(fhir, "Patient");

            var reply = post(fhir, bundle("transaction", c.getValue().apply(x)));

            assertOverlap(reply, 1, 0, c.getKey());
            assertThat(versions(fhir, "Patient")).as(c.getKey()).isEqualTo(before);
            assertThat(fhir.api().get("/fhir/R4/Patient/" + x).json().path("meta").path("versionId").asText())
                    .as(c.getKey()).isEqualTo(xVersion);
        }
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void entries_that_address_different_resources_or_only_read_still_run() {
        var fhir = FhirClient.inNewProject();
        String a = fhir.create("{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\"a\"}]}");
        String b = fhir.create("{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\"b\"}]}");
        var reply = post(fhir, bundle("transaction", List.of(
                "{\"request\":{\"method\":\"GET\",\"url\":\"Patient/" + a + "\"}}",
                "{\"request\":{\"method\":\"GET\",\"url\":\"Patient/" + a + "/_history\"}}",
                put(null, "Patient/" + a, a, "{}"),
                delete("Patient/" + b),
                put(null, "Patient?identifier=http://ids.example|c", null, "{}"),
                put(null, "Patient?identifier=http://ids.example|d", null, "{}"),
                conditionalPost("urn:uuid:e-1", "identifier=http://ids.example|e", "e"),
                conditionalPost("urn:uuid:e-2", "", "f"),
                conditionalPost("urn:uuid:e-3", "", "f"),
                "{\"request\":{\"method\":\"GET\",\"url\":\"Patient?identifier=http://ids.example|a\"}}")));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        for (JsonNode entry : reply.json().path("entry")) {
            assertThat(entry.path("response").path("status").asText()).as(entry.toString()).isIn("200", "201");
        }
        assertThat(fhir.ids("Patient", "identifier", "http://ids.example|f")).hasSize(2);
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static void assertDuplicateFullUrl(Api.Reply reply, int entry, int first) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.json().path("issue").path(0).path("expression").path(0).asText()).as(reply.toString())
                .isEqualTo("entry[" + entry + "].fullUrl");
        assertThat(reply.outcomeText()).contains("entry[" + entry + "].fullUrl").contains("entry[" + first + "]");
        assertThat(reply.errorCode()).isEqualTo("bundle.duplicate-full-url");
    }

    private static void assertOverlap(Api.Reply reply, int entry, int other) {
        assertOverlap(reply, entry, other, "");
    }

    private static void assertOverlap(Api.Reply reply, int entry, int other, String what) {
        assertThat(reply.status()).as(what + ": " + reply).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.json().path("issue").path(0).path("expression").path(0).asText()).as(what + ": " + reply)
                .isEqualTo("entry[" + entry + "]");
        assertThat(reply.outcomeText()).as(what).contains("entry[" + entry + "]").contains("entry[" + other + "]");
        assertThat(reply.errorCode()).as(what).isEqualTo("bundle.overlapping-entries");
    }

    private static String create(String fullUrl, String type, String meta) {
        return """
                {"fullUrl":"%s","resource":{"resourceType":"%s","meta":%s},"request":{"method":"POST","url":"%s"}}"""
                .formatted(fullUrl, type, meta, type);
    }

    /** A Patient with identifier {@code http://ids.example|value}, created unless {@code ifNoneExist} finds one. */
    private static String conditionalPost(String fullUrl, String ifNoneExist, String value) {
        return """
                {"fullUrl":"%s","resource":{"resourceType":"Patient","identifier":[{"system":"http://ids.example","value":"%s"}]},
                 "request":{"method":"POST","url":"Patient"%s}}"""
                .formatted(fullUrl, value, ifNoneExist.isEmpty() ? "" : ",\"ifNoneExist\":\"" + ifNoneExist + "\"");
    }

    private static String put(String fullUrl, String url, String id, String meta) {
        return """
                {%s"resource":{"resourceType":"Patient",%s"meta":%s,"active":false},"request":{"method":"PUT","url":"%s"}}"""
                .formatted(fullUrl == null ? "" : "\"fullUrl\":\"" + fullUrl + "\",",
                        id == null ? "" : "\"id\":\"" + id + "\",", meta, url);
    }

    private static String delete(String url) {
        return "{\"request\":{\"method\":\"DELETE\",\"url\":\"" + url + "\"}}";
    }

    private static String patch(String url) {
        String patch = Base64.getEncoder().encodeToString(
                "[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}]".getBytes(StandardCharsets.UTF_8));
        return """
                {"resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%s"},
                 "request":{"method":"PATCH","url":"%s"}}""".formatted(patch, url);
    }
}
