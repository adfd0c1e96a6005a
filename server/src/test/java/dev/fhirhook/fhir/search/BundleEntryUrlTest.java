package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Entry URLs that name no FHIR interaction on this server: each is a 400 naming {@code entry[i].request.url}. In a
 * batch only that entry fails and the others keep their answers; a transaction is refused whole and writes nothing.
 */
class BundleEntryUrlTest {
    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

    /** Bad for every method: empty, rooted, dot segments, other servers, no type, too many segments. */
    private static List<String> badUrls() {
        String fhirBase = FhirClient.baseUrl() + "fhir/R4/";
        return List.of("", " ", "/", "//", "///", "?", "?x", "?_id=1", "/Patient", "//Patient", "/Patient/bad-url-1",
                "Patient/", "Patient//bad-url-1", "Patient/bad-url-1/", ".", "..", "./Patient", "../Patient", "Patient/.",
                "Patient/..", "Patient/../Patient", "Patient/./bad-url-1", "Patient/%2E%2E",
                "http://other.example/fhir/R4/Patient", "https://other.example/fhir/R4/Patient/bad-url-1",
                "//other.example/fhir/R4/Patient", "HTTP://other.example/Patient", "file:///etc/passwd",
                "urn:uuid:0f3e1a52-6a35-4a4f-9c55-0a4b7c2d9e01", "NoSuchType", "patient", "Patient/bad-url-1/extra",
                "Patient/bad-url-1/_history/1/extra", "Patient/bad-url-1/$everything", "metadata", "$export",
                fhirBase, fhirBase + "?x", fhirBase + "/Patient", fhirBase + "../Patient",
                fhirBase.substring(0, fhirBase.length() - 1), FhirClient.baseUrl() + "Patient");
    }

    @Test
    void the_fuzzed_batch_gets_a_400_for_the_slash_entry_and_keeps_the_committed_one() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{"family":"HalfWritten"}]}},
                  {"request":{"method":"GET","url":"/"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var entries = reply.json().path("entry");
        assertThat(entries.get(0).path("response").path("status").asText()).isEqualTo("201");
        assertBadUrl(entries.get(1), 1);
        String created = entries.get(0).path("resource").path("id").asText();
        assertThat(fhir.ids("Patient", "family", "HalfWritten")).containsExactly(created);
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void batch_entries_with_bad_urls_fail_alone_for_every_method() {
        var fhir = FhirClient.inNewProject();
        var entries = new ArrayList<String>();
        entries.add("""
                {"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{"family":"Kept"}]}}""");
        for (String method : METHODS) {
            for (String url : badUrls()) entries.add(entry(method, url));
        }
        entries.add("""
                {"request":{"method":"POST","url":"%sfhir/R4/Patient"},
                 "resource":{"resourceType":"Patient","name":[{"family":"Kept"}]}}""".formatted(FhirClient.baseUrl()));
        entries.add("{\"request\":{\"method\":\"GET\",\"url\":\"Patient?family=kept\"}}");

        var reply = post(fhir, bundle("batch", entries));

        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var answers = reply.json().path("entry");
        assertThat(answers).hasSize(entries.size());
        assertThat(answers.get(0).path("response").path("status").asText()).isEqualTo("201");
        for (int i = 1; i < entries.size() - 2; i++) assertBadUrl(answers.get(i), i);
        assertThat(answers.get(entries.size() - 2).path("response").path("status").asText()).isEqualTo("201");
        var search = answers.get(entries.size() - 1);
        assertThat(search.path("response").path("status").asText()).isEqualTo("200");
        assertThat(FhirClient.matchIds(search.path("resource"))).hasSize(2);
        // the bad PUT, PATCH, POST and DELETE entries wrote nothing
        assertThat(versions(fhir, "Patient")).isEqualTo(2);
        assertThat(fhir.api().get("/fhir/R4/Patient/bad-url-1").status()).isEqualTo(404);
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_transaction_with_a_bad_url_is_refused_whole_and_writes_nothing() {
        var fhir = FhirClient.inNewProject();
        String existing = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Existing\"}]}");
        for (String method : METHODS) {
            for (String url : badUrls()) {
                var reply = post(fhir, bundle("transaction", List.of("""
                        {"fullUrl":"urn:uuid:5b1c7a0e-8d9e-4a5f-b2c3-d4e5f6a7b8c9",
                         "request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}""",
                        """
                        {"request":{"method":"DELETE","url":"Patient/%s"}}""".formatted(existing),
                        entry(method, url))));
                assertThat(reply.status()).as(method + " " + url + " -> " + reply).isEqualTo(400);
                assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
                assertThat(reply.json().path("issue").path(0).path("expression").path(0).asText())
                        .as(method + " " + url + " -> " + reply).isEqualTo("entry[2].request.url");
                assertThat(reply.outcomeText()).as(method + " " + url).contains("entry[2].request.url");
            }
        }
        assertThat(versions(fhir, "Patient")).isEqualTo(1);
        assertThat(fhir.api().get("/fhir/R4/Patient/" + existing).status()).isEqualTo(200);
        assertThat(fhir.api().get("/fhir/R4/Patient/bad-url-1").status()).isEqualTo(404);
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_request_url_that_is_not_a_string_is_a_bad_url() {
        var fhir = FhirClient.inNewProject();
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"request":{"method":"GET","url":["Patient"]}},
                  {"request":{"method":"GET","url":{"a":1}}},
                  {"request":{"method":"GET","url":7}},
                  {"request":{"method":"GET"}},
                  {"request":{"method":"GET","url":null}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        for (int i = 0; i < 5; i++) assertBadUrl(reply.json().path("entry").get(i), i);
    }

    @Test
    void urls_of_this_server_and_every_interaction_shape_still_work() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Shapes\"}]}");
        String version = fhir.api().get("/fhir/R4/Patient/" + id).json().path("meta").path("versionId").asText();
        String base = FhirClient.baseUrl() + "fhir/R4/";
        var reply = post(fhir, """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"request":{"method":"GET","url":"Patient/%1$s"}},
                  {"request":{"method":"GET","url":"%3$sPatient/%1$s"}},
                  {"request":{"method":"GET","url":"Patient/%1$s/_history"}},
                  {"request":{"method":"GET","url":"Patient/%1$s/_history/%2$s"}},
                  {"request":{"method":"GET","url":"Patient/_history"}},
                  {"request":{"method":"GET","url":"Patient?family=shapes"}},
                  {"request":{"method":"GET","url":"%3$sPatient?family=shapes"}},
                  {"request":{"method":"GET","url":"Patient?_profile=http://other.example/x"}}]}""".formatted(id, version, base));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        for (JsonNode entry : reply.json().path("entry")) {
            assertThat(entry.path("response").path("status").asText()).as(entry.toString()).isEqualTo("200");
        }
    }

    // --- helpers ----------------------------------------------------------------------------------

    /** An entry with {@code method} on {@code url}, with the body that method needs. */
    private static String entry(String method, String url) {
        String request = "{\"method\":\"%s\",\"url\":%s}".formatted(method, quote(url));
        return switch (method) {
            case "POST" -> "{\"request\":" + request + ",\"resource\":{\"resourceType\":\"Patient\"}}";
            case "PUT" -> "{\"request\":" + request + ",\"resource\":{\"resourceType\":\"Patient\",\"id\":\"bad-url-1\"}}";
            case "PATCH" -> "{\"request\":" + request + ",\"resource\":{\"resourceType\":\"Binary\","
                    + "\"contentType\":\"application/json-patch+json\",\"data\":\""
                    + base64("[{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]") + "\"}}";
            default -> "{\"request\":" + request + "}";
        };
    }

    private static void assertBadUrl(JsonNode entry, int index) {
        String where = "entry[" + index + "].request.url";
        var response = entry.path("response");
        assertThat(response.path("status").asText()).as(where + ": " + entry).isEqualTo("400");
        var outcome = response.path("outcome");
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(outcome.path("issue").path(0).path("expression").path(0).asText()).as(entry.toString()).isEqualTo(where);
        assertThat(outcome.path("issue").path(0).path("details").path("text").asText()).as(entry.toString()).contains(where);
        assertThat(entry.has("resource")).isFalse();
    }

    /** Every version of every {@code type} resource in the project, deleted ones included. */
    static int versions(FhirClient fhir, String type) {
        var reply = fhir.api().get("/fhir/R4/" + type + "/_history?_count=1000");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("entry").size();
    }

    static String bundle(String type, List<String> entries) {
        return "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":[" + String.join(",", entries) + "]}";
    }

    static Api.Reply post(FhirClient fhir, String bundle) {
        return fhir.api().post("/fhir/R4", bundle);
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
