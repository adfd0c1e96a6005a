package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Api.Reply;
import dev.fhirhook.testing.TestServer;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decimals on every path a resource takes. A number a write admits must come back from read, search, both
 * histories, update and PATCH with its exact value and precision, in a form a client may send again; a number
 * the server could not write back in such a form is a 400 naming the element on every write path, and nothing
 * is stored. After every test the type's search and history still answer, so one stored number can never
 * poison them.
 */
class NumbersTest {
    private static final String URL = "http://example.org/n";

    static Api api;

    @BeforeAll
    static void project() {
        api = TestServer.get().newProject().api();
    }

    @AfterEach
    void search_history_and_health_still_answer() {
        ReadPaths.assertAnswer(api, "Basic");
    }

    /** The body parsed as a request body is, so what the server answers a client may send back as it is. */
    private static JsonNode readable(Reply reply) {
        return FhirJson.parse(reply.bytes());
    }

    private static String basic(String number, String... extraMembers) {
        return "{\"resourceType\":\"Basic\"" + String.join("", extraMembers) + ",\"code\":{\"text\":\"n\"},"
                + "\"extension\":[{\"url\":\"" + URL + "\",\"valueDecimal\":" + number + "}]}";
    }

    private static BigDecimal valueOf(JsonNode basic) {
        JsonNode value = basic.path("extension").path(0).path("valueDecimal");
        assertThat(value.isNumber()).as(basic.toString()).isTrue();
        return value.decimalValue();
    }

    // --- admitted numbers round-trip ----------------------------------------------------------------

    /** The extremes of what is admitted, exponents written every way, and values plain notation keeps as written. */
    static Stream<String> admittedNumbers() {
        return Stream.of("1e100", "1E+100", "1e-70", "1e999", "-1.5e-999", "1e1000", "1e-1000",
                "9".repeat(60) + "e1000", "-" + "9".repeat(60) + "e1000", "1." + "2".repeat(59) + "e-941",
                "0.000001" + "1".repeat(57), "-0", "-0.0", "0e5", "1.50", "123456789012345678.25", "2.50e2", "1e2");
    }

    @ParameterizedTest
    @MethodSource("admittedNumbers")
    void an_admitted_number_survives_create_search_history_update_and_patch(String number) {
        var expected = new BigDecimal(number);
        var created = api.post("/fhir/R4/Basic", basic(number));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = readable(created).path("id").asText();
        assertThat(valueOf(readable(created))).isEqualTo(expected);

        var read = api.get("/fhir/R4/Basic/" + id);
        assertThat(valueOf(readable(read))).as("read").isEqualTo(expected);
        var found = api.get("/fhir/R4/Basic?_id=" + id);
        assertThat(found.status()).as(found.toString()).isEqualTo(200);
        assertThat(valueOf(readable(found).path("entry").path(0).path("resource"))).as("search").isEqualTo(expected);

        // the client sends back exactly the bytes it read (an unchanged PUT may add no version)
        var updated = api.raw("PUT", "/fhir/R4/Basic/" + id, Api.FHIR_JSON, read.bytes());
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        assertThat(valueOf(readable(updated))).as("update").isEqualTo(expected);
        var patched = api.patch("/fhir/R4/Basic/" + id, "[{\"op\":\"replace\",\"path\":\"/code/text\",\"value\":\"m\"}]");
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(valueOf(readable(patched))).as("patch").isEqualTo(expected);

        var history = api.get("/fhir/R4/Basic/" + id + "/_history");
        assertThat(history.status()).as(history.toString()).isEqualTo(200);
        var entries = readable(history).path("entry");
        assertThat(entries.size()).isBetween(2, 3);
        for (JsonNode entry : entries) assertThat(valueOf(entry.path("resource"))).as("history").isEqualTo(expected);
        var typeHistory = api.get("/fhir/R4/Basic/_history?_count=1000");
        assertThat(typeHistory.status()).as(typeHistory.toString()).isEqualTo(200);
    }

    @Test
    void a_decimal_is_written_as_given_unless_only_an_exponent_keeps_it_short_and_exact() {
        var created = api.post("/fhir/R4/Basic", "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"n\"},\"extension\":["
                + "{\"url\":\"" + URL + "\",\"valueDecimal\":1.50},{\"url\":\"" + URL + "\",\"valueDecimal\":0.0001},"
                + "{\"url\":\"" + URL + "\",\"valueDecimal\":1e-4},{\"url\":\"" + URL + "\",\"valueDecimal\":1e100},"
                + "{\"url\":\"" + URL + "\",\"valueDecimal\":1.5E-70}]}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.body()).contains("\"valueDecimal\":1.50}", "\"valueDecimal\":0.0001}", "\"valueDecimal\":1e+100}",
                "\"valueDecimal\":1.5e-70}");
        String id = created.json().path("id").asText();
        assertThat(api.get("/fhir/R4/Basic?_id=" + id).body()).contains("\"valueDecimal\":1e+100}", "\"valueDecimal\":1.5e-70}");
    }

    @Test
    void numbers_deep_in_nested_arrays_round_trip() {
        var created = api.post("/fhir/R4/Basic", "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"n\"},"
                + "\"extension\":[{\"url\":\"" + URL + "\",\"extension\":[{\"url\":\"" + URL + "\",\"valueDecimal\":1e-999},"
                + "{\"url\":\"" + URL + "\",\"valueDecimal\":-1e999}]}]}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().path("id").asText();
        var found = readable(api.get("/fhir/R4/Basic?_id=" + id)).path("entry").path(0).path("resource");
        var inner = found.path("extension").path(0).path("extension");
        assertThat(inner.path(0).path("valueDecimal").decimalValue()).isEqualTo(new BigDecimal("1e-999"));
        assertThat(inner.path(1).path("valueDecimal").decimalValue()).isEqualTo(new BigDecimal("-1e999"));
    }

    @Test
    void an_observation_quantity_of_any_admitted_size_is_searchable() {
        for (String number : new String[] {"1e999", "1e-70", "-1e-1000"}) {
            var created = api.post("/fhir/R4/Observation", "{\"resourceType\":\"Observation\",\"status\":\"final\","
                    + "\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":" + number + "}}");
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
        }
        for (String path : new String[] {"/fhir/R4/Observation", "/fhir/R4/Observation/_history",
                "/fhir/R4/Observation?value-quantity=gt0", "/fhir/R4/Observation?value-quantity=1e999"}) {
            var reply = api.get(path);
            assertThat(reply.status()).as(path + ": " + reply).isEqualTo(200);
            readable(reply);
        }
    }

    static Stream<String> plainLegacyNumbers() {
        return Stream.of("1e100", "1e-1000", "-1." + "2".repeat(60) + "e-939");
    }

    /**
     * Versions before exponent-form writing stored every decimal plain, up to about 1,065 digits (scale at most
     * 1000, 64 digits); such rows must read back, and PATCH must be able to repair them (or, for a number that
     * reads back as a decimal, rewrite it in exponent form on the way).
     */
    @ParameterizedTest
    @MethodSource("plainLegacyNumbers")
    void a_decimal_an_earlier_version_stored_plain_reads_back_and_a_patch_can_repair_it(String number) {
        var own = TestServer.get().newProject().api(); // its history keeps rows a request could not send
        var created = own.post("/fhir/R4/Basic", basic(number));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().path("id").asText();
        var expected = new BigDecimal(number);
        String written = FhirJson.decimalText(expected);
        var jdbc = TestServer.get().server().database().jdbc();
        for (String table : new String[] {"resource", "resource_history"}) {
            int rows = jdbc.update("update " + table + " set content = replace(content, ?, ?) where resource_type = 'Basic' and id = ?",
                    "\"valueDecimal\":" + written + "}", "\"valueDecimal\":" + expected.toPlainString() + "}", id);
            assertThat(rows).as(table).isEqualTo(1);
        }
        assertThat(own.get("/fhir/R4/Basic/" + id).body()).contains(expected.toPlainString());

        var found = own.get("/fhir/R4/Basic?_id=" + id);
        assertThat(found.status()).as(found.toString()).isEqualTo(200);
        var resource = FhirJson.parseStored(found.body()).path("entry").path(0).path("resource");
        assertThat(valueOf(resource)).isEqualByComparingTo(expected);
        assertThat(own.get("/fhir/R4/Basic/" + id + "/_history").status()).isEqualTo(200);

        var kept = own.patch("/fhir/R4/Basic/" + id, "[{\"op\":\"replace\",\"path\":\"/code/text\",\"value\":\"m\"}]");
        if (expected.scale() < 0) { // stored as a 101-digit integer: refused until a patch replaces it
            assertRefused(kept, "extension[0].valueDecimal", "more than 64 digits");
        } else { // read back as a decimal, so written again in exponent form
            assertThat(kept.status()).as(kept.toString()).isEqualTo(200);
            assertThat(kept.body()).contains("\"valueDecimal\":" + written + "}");
        }
        var repaired = own.patch("/fhir/R4/Basic/" + id, "[{\"op\":\"replace\",\"path\":\"/extension/0/valueDecimal\",\"value\":"
                + number + "},{\"op\":\"replace\",\"path\":\"/code/text\",\"value\":\"m\"}]");
        assertThat(repaired.status()).as(repaired.toString()).isEqualTo(200);
        assertThat(valueOf(readable(repaired))).isEqualTo(expected);
    }

    // --- refused numbers ----------------------------------------------------------------------------

    /** Numbers no write may store, and words the refusal says. */
    static Stream<Arguments> refusedNumbers() {
        return Stream.of(
                arguments(named("exponent 1001", "1e1001"), "out of range"),
                arguments(named("exponent -1001", "1e-1001"), "out of range"),
                arguments(named("exponent 999999999", "1e999999999"), "out of range"),
                arguments(named("negative, exponent 999999999", "-1.5e999999999"), "out of range"),
                arguments(named("exponent -999999999", "1e-999999999"), "out of range"),
                // 64 digits as sent, 65 when the exponent it needs is written out: would not read back
                arguments(named("63 digits and an exponent", "1" + "2".repeat(62) + "e2"), "more than 64 digits"));
    }

    private static void assertRefused(Reply reply, String where, String words) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        var outcome = reply.json();
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.outcomeText()).as(reply.toString()).startsWith("Invalid number: ").contains(words);
        assertThat(outcome.path("issue").path(0).path("expression").path(0).asText()).as(reply.toString()).isEqualTo(where);
    }

    private static int versions() {
        var reply = api.get("/fhir/R4/Basic/_history?_count=1000");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return readable(reply).path("entry").size();
    }

    @ParameterizedTest
    @MethodSource("refusedNumbers")
    void a_number_the_server_could_not_write_back_is_400_on_every_write_path_and_nothing_is_stored(String number, String words) {
        String identifier = "t-" + UUID.randomUUID();
        var target = api.post("/fhir/R4/Basic", basic("1", ",\"identifier\":[{\"system\":\"" + URL + "\",\"value\":\"" + identifier + "\"}]"));
        assertThat(target.status()).as(target.toString()).isEqualTo(201);
        String id = target.json().path("id").asText();
        int before = versions();
        String where = "extension[0].valueDecimal";

        assertRefused(api.post("/fhir/R4/Basic", basic(number)), where, words);
        assertRefused(api.send(api.request("/fhir/R4/Basic").header("Content-Type", Api.FHIR_JSON)
                .header("If-None-Exist", "identifier=" + URL + "%7Cnone")
                .POST(HttpRequest.BodyPublishers.ofString(basic(number)))), where, words);
        assertRefused(api.put("/fhir/R4/Basic/" + id, basic(number, ",\"id\":\"" + id + "\"")), where, words);
        String newId = "n-" + UUID.randomUUID();
        assertRefused(api.put("/fhir/R4/Basic/" + newId, basic(number, ",\"id\":\"" + newId + "\"")), where, words);
        assertRefused(api.put("/fhir/R4/Basic?identifier=" + URL + "%7C" + identifier, basic(number)), where, words);
        assertRefused(api.patch("/fhir/R4/Basic/" + id, "[{\"op\":\"add\",\"path\":\"/extension/-\",\"value\":"
                + "{\"url\":\"" + URL + "\",\"extension\":[{\"url\":\"" + URL + "\",\"valueDecimal\":" + number + "}]}}]"),
                "extension[1].extension[0].valueDecimal", words);
        assertRefused(api.patch("/fhir/R4/Basic?identifier=" + URL + "%7C" + identifier,
                "[{\"op\":\"replace\",\"path\":\"/extension/0/valueDecimal\",\"value\":" + number + "}]"), where, words);

        String entry = "{\"request\":{\"method\":\"POST\",\"url\":\"Basic\"},\"resource\":" + basic(number) + "}";
        var transaction = api.post("/fhir/R4/", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + entry + "]}");
        assertThat(transaction.status()).as(transaction.toString()).isEqualTo(400);
        String patch = "[{\"op\":\"replace\",\"path\":\"/extension/0/valueDecimal\",\"value\":" + number + "}]";
        String patchEntry = "{\"request\":{\"method\":\"PATCH\",\"url\":\"Basic/" + id + "\"},\"resource\":{\"resourceType\":\"Binary\","
                + "\"contentType\":\"application/json-patch+json\",\"data\":\""
                + Base64.getEncoder().encodeToString(patch.getBytes(StandardCharsets.UTF_8)) + "\"}}";
        var batch = api.post("/fhir/R4/", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[" + entry + "," + patchEntry + "]}");
        assertThat(batch.status()).as(batch.toString()).isEqualTo(200);
        for (JsonNode response : batch.json().path("entry")) {
            assertThat(response.path("response").path("status").asText()).as(batch.toString()).isEqualTo("400");
        }

        assertThat(versions()).as("versions of Basic after the refused writes").isEqualTo(before);
        assertThat(api.get("/fhir/R4/Basic/" + newId).status()).isEqualTo(404);
        assertThat(valueOf(readable(api.get("/fhir/R4/Basic/" + id)))).isEqualTo(BigDecimal.ONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e99999999999", "1e-99999999999", "1e2147483648"})
    void an_exponent_beyond_any_integer_is_400(String number) {
        var reply = api.post("/fhir/R4/Basic", basic(number));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
    }
}
