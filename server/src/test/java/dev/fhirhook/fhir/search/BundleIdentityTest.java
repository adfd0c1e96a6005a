package dev.fhirhook.fhir.search;

import static dev.fhirhook.fhir.search.BundleEntryUrlTest.bundle;
import static dev.fhirhook.fhir.search.BundleEntryUrlTest.post;
import static dev.fhirhook.fhir.search.BundleEntryUrlTest.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a Bundle's entries stand for must be unambiguous: fullUrls are unique (FHIR bdl-7). A repeat is refused
 * with a 400 naming the entry, before anything is written.
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

    // --- helpers ----------------------------------------------------------------------------------

    private static void assertDuplicateFullUrl(Api.Reply reply, int entry, int first) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.json().path("issue").path(0).path("expression").path(0).asText()).as(reply.toString())
                .isEqualTo("entry[" + entry + "].fullUrl");
        assertThat(reply.outcomeText()).contains("entry[" + entry + "].fullUrl").contains("entry[" + first + "]");
        assertThat(reply.errorCode()).isEqualTo("bundle.duplicate-full-url");
    }

    private static String create(String fullUrl, String type, String meta) {
        return """
                {"fullUrl":"%s","resource":{"resourceType":"%s","meta":%s},"request":{"method":"POST","url":"%s"}}"""
                .formatted(fullUrl, type, meta, type);
    }

    private static String put(String fullUrl, String url, String id, String meta) {
        return """
                {%s"resource":{"resourceType":"Patient",%s"meta":%s,"active":false},"request":{"method":"PUT","url":"%s"}}"""
                .formatted(fullUrl == null ? "" : "\"fullUrl\":\"" + fullUrl + "\",",
                        id == null ? "" : "\"id\":\"" + id + "\",", meta, url);
    }
}
