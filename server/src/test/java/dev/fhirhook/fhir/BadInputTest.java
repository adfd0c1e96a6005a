package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Api.Reply;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every kind of bad request against the resource endpoints. Each answer must be the exact status with an
 * OperationOutcome (severity error, a {@code details.text} that says what is wrong), nothing may be stored,
 * and the server must stay healthy.
 *
 * <p>Three projects of this class's own. {@link #api}'s project receives only bad requests, so it must never
 * hold a single version: after every test its type histories have no new entry (compared with before the
 * test, so that one wrongly accepted request fails its own test and not every later one). In
 * {@link #existingApi}'s project each test gets a fresh Patient that bad PATCH / PUT / DELETE requests aim
 * at; it must still have exactly its one version afterwards. {@link #verbatimApi}'s project receives the
 * odd-but-valid input that must be stored exactly.
 */
class BadInputTest {
    private static final int MAX_BODY = 1024 * 1024;
    private static final String PATCH_JSON = "application/json-patch+json";
    /** Types this class sends to the empty project; none may ever get a version there. */
    private static final List<String> TYPES_SENT = List.of("Patient", "Observation", "Account");

    static Api api;
    static TestProject project;
    static Api existingApi;
    static Api verbatimApi;

    private final Map<String, Integer> versionsBefore = new HashMap<>();
    private String existingId;
    private JsonNode existing;

    @BeforeAll
    static void projects() {
        project = TestServer.get().newProject();
        api = project.api();
        existingApi = TestServer.get().newProject().api();
        verbatimApi = TestServer.get().newProject().api();
        for (String type : TYPES_SENT) assertThat(versions(type)).as(type + " history of a new project").isZero();
    }

    @BeforeEach
    void snapshot_and_a_fresh_target() {
        for (String type : TYPES_SENT) versionsBefore.put(type, versions(type));
        var created = existingApi.post("/fhir/R4/Patient",
                "{\"resourceType\":\"Patient\",\"active\":true,\"name\":[{\"family\":\"Original\"}]}");
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        existing = created.json();
        existingId = existing.get("id").asText();
    }

    @AfterEach
    void nothing_was_stored_and_the_server_is_healthy() {
        for (String type : TYPES_SENT) {
            assertThat(versions(type)).as("new %s versions in the project that only gets bad requests", type)
                    .isEqualTo(versionsBefore.get(type));
        }
        var current = existingApi.get("/fhir/R4/Patient/" + existingId);
        assertThat(current.status()).as(current.toString()).isEqualTo(200);
        assertThat(current.json()).as("the existing Patient is unchanged").isEqualTo(existing);
        var versions = existingApi.get("/fhir/R4/Patient/" + existingId + "/_history");
        assertThat(versions.json().path("total").asInt()).as(versions.toString()).isEqualTo(1);
        assertHealthy();
    }

    // --- helpers ------------------------------------------------------------------------------------

    private static void assertHealthy() {
        var health = TestServer.get().anonymous().get("/healthcheck");
        assertThat(health.status()).as(health.toString()).isEqualTo(200);
        assertThat(health.json().path("ok").asBoolean()).isTrue();
    }

    /** How many entries the type history of the bad-requests-only project has. */
    private static int versions(String type) {
        var history = api.get("/fhir/R4/" + type + "/_history?_count=1000");
        assertThat(history.status()).as(history.toString()).isEqualTo(200);
        return history.json().path("entry").size();
    }

    /** {@code type/id} does not exist in the empty project. */
    private static void assertAbsent(String type, String id) {
        var read = api.get("/fhir/R4/" + type + "/" + id);
        assertThat(read.status()).as(read.toString()).isEqualTo(404);
        assertThat(api.get("/fhir/R4/" + type + "/" + id + "/_history").status()).isEqualTo(404);
    }

    /** An OperationOutcome error with the exact status whose {@code details.text} contains every word. */
    private static JsonNode assertOutcome(Reply reply, int status, String... words) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).as(reply.toString()).startsWith("application/fhir+json");
        var json = reply.json();
        assertThat(json.path("resourceType").asText()).as(reply.toString()).isEqualTo("OperationOutcome");
        var issue = json.path("issue").path(0);
        assertThat(issue.path("severity").asText()).as(reply.toString()).isEqualTo("error");
        assertThat(issue.path("code").asText()).as(reply.toString()).isNotBlank();
        assertThat(reply.outcomeText()).as(reply.toString()).isNotBlank();
        if (words.length > 0) assertThat(reply.outcomeText()).as(reply.toString()).contains(words);
        return json;
    }

    private static Reply post(String type, byte[] body) {
        return api.raw("POST", "/fhir/R4/" + type, Api.FHIR_JSON, body);
    }

    private static Reply put(String type, String id, byte[] body) {
        return api.raw("PUT", "/fhir/R4/" + type + "/" + id, Api.FHIR_JSON, body);
    }

    private Reply patchExisting(String patch) {
        return existingApi.raw("PATCH", "/fhir/R4/Patient/" + existingId, PATCH_JSON, utf8(patch));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(Object... parts) {
        var out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof String s) out.writeBytes(utf8(s));
            else if (part instanceof int[] ints) for (int b : ints) out.write(b);
            else throw new IllegalArgumentException(String.valueOf(part));
        }
        return out.toByteArray();
    }

    private static String newId() {
        return "bad-" + UUID.randomUUID();
    }

    /** A Patient of exactly {@code size} bytes. */
    private static byte[] patientOfSize(String id, int size) {
        String head = "{\"resourceType\":\"Patient\"" + (id == null ? "" : ",\"id\":\"" + id + "\"")
                + ",\"extension\":[{\"url\":\"http://example.org/pad\",\"valueString\":\"";
        String tail = "\"}]}";
        byte[] body = utf8(head + "x".repeat(size - head.length() - tail.length()) + tail);
        assertThat(body).hasSize(size);
        return body;
    }

    // --- malformed JSON -----------------------------------------------------------------------------

    static Stream<Arguments> malformedJson() {
        return Stream.of(
                arguments(named("truncated in a value", "{\"resourceType\":\"Patient\",\"active\":tr")),
                arguments(named("truncated before the closing brace", "{\"resourceType\":\"Patient\"")),
                arguments(named("truncated in a string", "{\"resourceType\":\"Pat")),
                arguments(named("a lone opening brace", "{")),
                arguments(named("trailing garbage after an object", "{\"resourceType\":\"Patient\"}x")),
                arguments(named("trailing garbage after {}", "{}x")),
                arguments(named("a second document", "{\"resourceType\":\"Patient\"} {\"resourceType\":\"Patient\"}")),
                arguments(named("single quotes", "{'resourceType':'Patient'}")),
                arguments(named("an unquoted key", "{resourceType:\"Patient\"}")),
                arguments(named("NaN", "{\"resourceType\":\"Patient\",\"x\":NaN}")),
                arguments(named("-Infinity", "{\"resourceType\":\"Patient\",\"x\":-Infinity}")),
                arguments(named("a block comment", "{\"resourceType\":\"Patient\" /* comment */}")),
                arguments(named("a line comment", "// comment\n{\"resourceType\":\"Patient\"}")),
                arguments(named("a hash comment", "# comment\n{\"resourceType\":\"Patient\"}")),
                arguments(named("a trailing comma", "{\"resourceType\":\"Patient\",}")),
                arguments(named("a trailing comma in an array", "{\"resourceType\":\"Patient\",\"name\":[{},]}")),
                arguments(named("a leading zero", "{\"resourceType\":\"Patient\",\"x\":01}")),
                arguments(named("a hex number", "{\"resourceType\":\"Patient\",\"x\":0x10}")),
                arguments(named("a leading plus", "{\"resourceType\":\"Patient\",\"x\":+1}")),
                arguments(named("an unescaped control character", "{\"resourceType\":\"Patient\",\"x\":\"a\tb\"}")),
                arguments(named("an invalid escape", "{\"resourceType\":\"Patient\",\"x\":\"\\x41\"}")),
                arguments(named("a short unicode escape", "{\"resourceType\":\"Patient\",\"x\":\"\\u12\"}")),
                arguments(named("a missing colon", "{\"resourceType\" \"Patient\"}")),
                arguments(named("a bare word", "Patient")),
                arguments(named("undefined", "{\"resourceType\":\"Patient\",\"x\":undefined}")));
    }

    @ParameterizedTest
    @MethodSource("malformedJson")
    void post_with_malformed_json_is_400(String body) {
        assertOutcome(post("Patient", utf8(body)), 400, "Content could not be parsed");
    }

    @ParameterizedTest
    @MethodSource("malformedJson")
    void put_with_malformed_json_is_400_and_creates_nothing(String body) {
        String id = newId();
        assertOutcome(put("Patient", id, utf8(body.replace("\"Patient\"", "\"Patient\",\"id\":\"" + id + "\""))), 400,
                "Content could not be parsed");
        assertAbsent("Patient", id);
    }

    @ParameterizedTest
    @MethodSource("malformedJson")
    void patch_with_malformed_json_is_400(String body) {
        assertOutcome(patchExisting(body), 400, "Content could not be parsed");
    }

    @Test
    void a_parse_error_says_where_it_is() {
        var reply = post("Patient", utf8("{\"resourceType\":\"Patient\",\n\"active\":tru}"));
        assertOutcome(reply, 400, "Content could not be parsed", "line 2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"x\"}",
            "{\"resourceType\":\"Basic\",\"extension\":[{\"url\":\"u\",\"valueDecimal\":"
                    + "12345678901234567890123456789012345678901234567890123456789012345}]}"})
    void a_parse_error_names_nothing_of_the_parser_itself(String body) {
        var reply = post("Patient", utf8(body));
        assertOutcome(reply, 400, "Content could not be parsed");
        // it read "... (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled);
        // line: 1, column: 1])" and "(64, from `StreamReadConstraints.getMaxNumberLength()`)"
        assertThat(reply.outcomeText()).doesNotContain("Source", "`", "StreamRead", "REDACTED", "()");
    }

    // --- bodies that are not a JSON object ------------------------------------------------------------

    static Stream<Arguments> notAnObject() {
        return Stream.of(
                arguments(named("an empty array", "[]")),
                arguments(named("an array holding a resource", "[{\"resourceType\":\"Patient\"}]")),
                arguments(named("a string", "\"Patient\"")),
                arguments(named("a number", "42")),
                arguments(named("a negative decimal", "-1.5")),
                arguments(named("null", "null")),
                arguments(named("true", "true")),
                arguments(named("the empty body", "")),
                arguments(named("only whitespace", " \r\n\t ")));
    }

    @ParameterizedTest
    @MethodSource("notAnObject")
    void post_with_a_body_that_is_not_an_object_is_400(String body) {
        assertOutcome(post("Patient", utf8(body)), 400, "Content could not be parsed");
    }

    @ParameterizedTest
    @MethodSource("notAnObject")
    void put_with_a_body_that_is_not_an_object_is_400(String body) {
        String id = newId();
        assertOutcome(put("Patient", id, utf8(body)), 400, "Content could not be parsed");
        assertAbsent("Patient", id);
    }

    @Test
    void post_without_any_body_is_400() {
        assertOutcome(api.raw("POST", "/fhir/R4/Patient", Api.FHIR_JSON, null), 400, "Content could not be parsed", "empty");
    }

    @Test
    void patch_without_any_body_is_400() {
        var reply = existingApi.raw("PATCH", "/fhir/R4/Patient/" + existingId, PATCH_JSON, null);
        assertOutcome(reply, 400, "Content could not be parsed", "empty");
    }

    // --- resourceType ---------------------------------------------------------------------------------

    @Test
    void a_resource_without_resource_type_is_400() {
        assertOutcome(post("Patient", utf8("{\"active\":true}")), 400, "Missing resourceType");
        String id = newId();
        assertOutcome(put("Patient", id, utf8("{\"id\":\"" + id + "\",\"active\":true}")), 400, "Missing resourceType");
        assertAbsent("Patient", id);
        assertOutcome(post("Patient", utf8("{}")), 400, "Missing resourceType");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "true", "null", "[\"Patient\"]", "{\"value\":\"Patient\"}"})
    void a_resource_type_that_is_not_a_string_is_400(String value) {
        assertOutcome(post("Patient", utf8("{\"resourceType\":" + value + "}")), 400, "resource type");
        String id = newId();
        assertOutcome(put("Patient", id, utf8("{\"resourceType\":" + value + ",\"id\":\"" + id + "\"}")), 400, "resource type");
        assertAbsent("Patient", id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Foo", "patient", "PATIENT", " Patient", "Patient ", "", "Resource", "DomainResource",
            "'; drop table resource; --", "Pat\\u0000ient"})
    void an_unknown_resource_type_in_the_body_is_400(String type) {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"" + type + "\"}")), 400, "Unsupported resource type");
        String id = newId();
        assertOutcome(put("Patient", id, utf8("{\"resourceType\":\"" + type + "\",\"id\":\"" + id + "\"}")), 400,
                "Unsupported resource type");
        assertAbsent("Patient", id);
    }

    @Test
    void post_of_a_resource_type_other_than_the_url_is_400() {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Observation\",\"status\":\"final\"}")), 400,
                "Incorrect resource type");
        assertOutcome(post("Observation", utf8("{\"resourceType\":\"Patient\"}")), 400, "Incorrect resource type");
    }

    @Test
    void put_of_a_resource_type_other_than_the_url_is_400() {
        String id = newId();
        assertOutcome(put("Patient", id, utf8("{\"resourceType\":\"Observation\",\"id\":\"" + id + "\",\"status\":\"final\"}")),
                400, "Incorrect resource type");
        assertAbsent("Patient", id);
        assertAbsent("Observation", id);
        var onExisting = existingApi.put("/fhir/R4/Patient/" + existingId,
                "{\"resourceType\":\"Account\",\"id\":\"" + existingId + "\",\"status\":\"active\"}");
        assertOutcome(onExisting, 400, "Incorrect resource type");
        assertThat(existingApi.get("/fhir/R4/Account/" + existingId).status()).isEqualTo(404);
    }

    @Test
    void a_duplicated_resource_type_key_is_400() {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\",\"resourceType\":\"Observation\"}")), 400,
                "duplicate key 'resourceType'");
    }

    // --- unknown type in the URL ----------------------------------------------------------------------

    @Test
    void post_to_an_unknown_type_is_400() {
        assertOutcome(post("Foo", utf8("{\"resourceType\":\"Foo\"}")), 400, "Unsupported resource type");
        assertOutcome(post("patient", utf8("{\"resourceType\":\"patient\"}")), 400, "Unsupported resource type");
    }

    @Test
    void read_update_patch_delete_and_history_of_an_unknown_type_are_400() {
        assertOutcome(api.get("/fhir/R4/Foo/1"), 400, "Unsupported resource type");
        assertOutcome(api.put("/fhir/R4/Foo/1", "{\"resourceType\":\"Foo\",\"id\":\"1\"}"), 400, "Unsupported resource type");
        assertOutcome(api.patch("/fhir/R4/Foo/1", "[]"), 400, "Unsupported resource type");
        assertOutcome(api.delete("/fhir/R4/Foo/1"), 400, "Unsupported resource type");
        assertOutcome(api.get("/fhir/R4/Foo/_history"), 400, "Unsupported resource type");
        assertOutcome(api.get("/fhir/R4/Foo/1/_history"), 400, "Unsupported resource type");
        assertOutcome(api.get("/fhir/R4/Foo/1/_history/1"), 400, "Unsupported resource type");
    }

    @Test
    void a_very_long_unknown_type_is_400_without_echoing_all_of_it() {
        String type = "X".repeat(5000);
        var json = assertOutcome(post(type, utf8("{\"resourceType\":\"Patient\"}")), 400, "Unsupported resource type");
        assertThat(json.toString().length()).isLessThan(2000);
    }

    // --- ids ------------------------------------------------------------------------------------------

    @Test
    void put_with_a_body_id_different_from_the_url_is_400() {
        String id = newId();
        String other = newId();
        assertOutcome(put("Patient", id, utf8("{\"resourceType\":\"Patient\",\"id\":\"" + other + "\"}")), 400, "Incorrect ID");
        assertAbsent("Patient", id);
        assertAbsent("Patient", other);
        var onExisting = existingApi.put("/fhir/R4/Patient/" + existingId,
                "{\"resourceType\":\"Patient\",\"id\":\"" + other + "\",\"active\":false}");
        assertOutcome(onExisting, 400, "Incorrect ID");
    }

    @Test
    void put_with_an_id_differing_only_in_case_is_400() {
        String id = "case-" + UUID.randomUUID().toString().substring(0, 8);
        assertOutcome(put("Patient", id, utf8("{\"resourceType\":\"Patient\",\"id\":\"" + id.toUpperCase() + "\"}")), 400,
                "Incorrect ID");
        assertAbsent("Patient", id);
    }

    @Test
    void put_without_a_body_id_is_400() {
        String id = newId();
        assertOutcome(put("Patient", id, utf8("{\"resourceType\":\"Patient\",\"active\":true}")), 400, "Missing id");
        assertAbsent("Patient", id);
        var onExisting = existingApi.put("/fhir/R4/Patient/" + existingId, "{\"resourceType\":\"Patient\",\"active\":false}");
        assertOutcome(onExisting, 400, "Missing id");
    }

    @ParameterizedTest
    @ValueSource(strings = {"123", "true", "null", "[\"x\"]", "{\"value\":\"x\"}", "1.5"})
    void put_with_an_id_that_is_not_a_string_is_400(String value) {
        String id = "123";
        var reply = put("Patient", id, utf8("{\"resourceType\":\"Patient\",\"id\":" + value + "}"));
        var json = assertOutcome(reply, 400);
        assertThat(reply.outcomeText()).containsAnyOf("Invalid id", "Incorrect ID", "null is not allowed");
        assertThat(json.path("issue").path(0).path("expression").path(0).asText()).isEqualTo("id");
        assertAbsent("Patient", id);
    }

    /** URL-encoded ids that are not FHIR ids, and what they are. */
    static Stream<Arguments> invalidUrlIds() {
        return Stream.of(
                arguments(named("a space", "a%20b")),
                arguments(named("an underscore", "a_b")),
                arguments(named("a NUL", "%00")),
                arguments(named("a NUL inside", "ab%00cd")),
                arguments(named("an accented letter", "%C3%A9t%C3%A9")),
                arguments(named("an emoji", "%F0%9F%98%80")),
                arguments(named("a dot-dot and an encoded slash", "..%2Fx")),
                arguments(named("an encoded slash", "a%2Fb")),
                arguments(named("a plus", "a+b")),
                arguments(named("a colon", "a:b")),
                arguments(named("a tilde", "a~b")),
                arguments(named("a quote and SQL", "%27%3B%20drop%20table%20resource%3B%20--")),
                arguments(named("65 characters", "a".repeat(65))),
                arguments(named("1000 characters", "a".repeat(1000))));
    }

    /**
     * 400 saying the id is invalid; Jetty itself refuses some of these URIs (NUL, encoded slash) before
     * routing, and then the text must still say what is wrong with the URI, not only "Bad request".
     */
    private static void assertInvalidUrlId(Reply reply) {
        assertOutcome(reply, 400);
        assertThat(reply.outcomeText()).as(reply.toString()).containsAnyOf("Invalid id", "URI", "path");
    }

    @ParameterizedTest
    @MethodSource("invalidUrlIds")
    void put_with_an_invalid_id_in_the_url_is_400(String encodedId) {
        String id = java.net.URLDecoder.decode(encodedId.replace("+", "%2B"), StandardCharsets.UTF_8);
        String body = "{\"resourceType\":\"Patient\",\"id\":\"" + jsonEscape(id) + "\"}";
        assertInvalidUrlId(put("Patient", encodedId, utf8(body)));
    }

    @ParameterizedTest
    @MethodSource("invalidUrlIds")
    void read_patch_delete_and_history_with_an_invalid_id_in_the_url_are_400(String encodedId) {
        assertInvalidUrlId(api.get("/fhir/R4/Patient/" + encodedId));
        assertInvalidUrlId(api.patch("/fhir/R4/Patient/" + encodedId, "[]"));
        assertInvalidUrlId(api.delete("/fhir/R4/Patient/" + encodedId));
        assertInvalidUrlId(api.get("/fhir/R4/Patient/" + encodedId + "/_history"));
    }

    static Stream<Arguments> invalidBodyIds() {
        return Stream.of(
                arguments(named("the empty string", "")),
                arguments(named("a space", "a b")),
                arguments(named("an underscore", "a_b")),
                arguments(named("a NUL", "\\u0000")),
                arguments(named("a newline", "a\\nb")),
                arguments(named("an accented letter", "\u00e9t\u00e9")),
                arguments(named("an emoji", "\ud83d\ude00")),
                arguments(named("a path", "../x")),
                arguments(named("a slash", "a/b")),
                arguments(named("SQL", "'; drop table resource; --")),
                arguments(named("65 characters", "a".repeat(65))));
    }

    @ParameterizedTest
    @MethodSource("invalidBodyIds")
    void post_with_an_invalid_id_in_the_body_is_400(String jsonId) {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\",\"id\":\"" + jsonId + "\"}")), 400, "Invalid id");
    }

    @ParameterizedTest
    @MethodSource("invalidBodyIds")
    void put_with_an_invalid_id_in_the_body_is_400(String jsonId) {
        String id = newId();
        var reply = put("Patient", id, utf8("{\"resourceType\":\"Patient\",\"id\":\"" + jsonId + "\"}"));
        assertOutcome(reply, 400);
        assertThat(reply.outcomeText()).containsAnyOf("Invalid id", "Incorrect ID");
        assertAbsent("Patient", id);
    }

    private static String jsonEscape(String s) {
        var out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') out.append('\\').append(c);
            else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.toString();
    }

    // --- size limit -----------------------------------------------------------------------------------

    @Test
    void post_over_the_size_limit_with_content_length_is_413() {
        var json = assertOutcome(post("Patient", patientOfSize(null, MAX_BODY + 1)), 413, "Request body too large");
        assertThat(json.path("id").asText()).isEqualTo("content-too-large");
        assertThat(json.path("issue").path(0).path("code").asText()).isEqualTo("too-long");
    }

    @Test
    void post_over_the_size_limit_chunked_is_413() {
        byte[] body = patientOfSize(null, MAX_BODY + 1);
        var reply = api.send(api.request("/fhir/R4/Patient").header("Content-Type", Api.FHIR_JSON)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));
        var json = assertOutcome(reply, 413, "Request body too large");
        assertThat(json.path("id").asText()).isEqualTo("content-too-large");
    }

    @Test
    void put_over_the_size_limit_is_413_with_content_length_and_chunked() {
        String id = newId();
        byte[] body = patientOfSize(id, 3 * MAX_BODY);
        assertOutcome(put("Patient", id, body), 413, "Request body too large");
        var chunked = api.send(api.request("/fhir/R4/Patient/" + id).header("Content-Type", Api.FHIR_JSON)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))));
        assertOutcome(chunked, 413, "Request body too large");
        assertAbsent("Patient", id);
    }

    @Test
    void patch_over_the_size_limit_is_413() {
        String patch = "[" + "{\"op\":\"test\",\"path\":\"/active\",\"value\":true},".repeat(MAX_BODY / 40) + "{\"op\":\"test\",\"path\":\"/active\",\"value\":true}]";
        assertThat(patch.length()).isGreaterThan(MAX_BODY);
        assertOutcome(patchExisting(patch), 413, "Request body too large");
    }

    @Test
    void a_body_of_exactly_the_size_limit_is_accepted() {
        var reply = verbatimApi.raw("POST", "/fhir/R4/Patient", Api.FHIR_JSON, patientOfSize(null, MAX_BODY));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
    }

    // --- content type ---------------------------------------------------------------------------------

    static Stream<Arguments> unsupportedContentTypes() {
        return Stream.of(
                arguments(named("text/plain", "text/plain")),
                arguments(named("text/plain with charset", "text/plain; charset=utf-8")),
                arguments(named("application/xml", "application/xml")),
                arguments(named("application/fhir+xml", "application/fhir+xml")),
                arguments(named("a form", "application/x-www-form-urlencoded")),
                arguments(named("multipart", "multipart/form-data; boundary=xyz")),
                arguments(named("octet-stream", "application/octet-stream")),
                arguments(named("application/jsonx", "application/jsonx")),
                arguments(named("none at all", null)));
    }

    @ParameterizedTest
    @MethodSource("unsupportedContentTypes")
    void post_with_an_unsupported_content_type_is_415(String contentType) {
        var reply = api.raw("POST", "/fhir/R4/Patient", contentType, utf8("{\"resourceType\":\"Patient\"}"));
        var json = assertOutcome(reply, 415, "Unsupported media type");
        assertThat(json.path("id").asText()).isEqualTo("unsupported-media-type");
        assertThat(json.path("issue").path(0).path("code").asText()).isEqualTo("not-supported");
    }

    @ParameterizedTest
    @MethodSource("unsupportedContentTypes")
    void put_with_an_unsupported_content_type_is_415(String contentType) {
        String id = newId();
        var reply = api.raw("PUT", "/fhir/R4/Patient/" + id, contentType, utf8("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}"));
        assertOutcome(reply, 415, "Unsupported media type");
        assertAbsent("Patient", id);
    }

    /** medplum-compat §1: a bad charset is 415; the body is always read as UTF-8, so nothing else can be honoured. */
    @ParameterizedTest
    @ValueSource(strings = {"application/fhir+json; charset=iso-8859-1", "application/json; charset=windows-1252"})
    void a_charset_other_than_utf_8_is_415(String contentType) {
        var reply = api.raw("POST", "/fhir/R4/Patient", contentType, utf8("{\"resourceType\":\"Patient\"}"));
        assertOutcome(reply, 415, "Unsupported media type");
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/fhir+json", "text/plain", "application/xml"})
    void patch_with_a_content_type_other_than_json_patch_is_415(String contentType) {
        var reply = existingApi.raw("PATCH", "/fhir/R4/Patient/" + existingId, contentType,
                utf8("[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}]"));
        assertOutcome(reply, 415, "Unsupported media type");
    }

    @Test
    void patch_without_a_content_type_is_415() {
        var reply = existingApi.raw("PATCH", "/fhir/R4/Patient/" + existingId, null,
                utf8("[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}]"));
        assertOutcome(reply, 415, "Unsupported media type");
    }

    // --- nesting, encoding, duplicates, nulls ---------------------------------------------------------

    static Stream<Arguments> deepJson() {
        int depth = 10_000;
        return Stream.of(
                arguments(named("arrays", "[".repeat(depth) + "]".repeat(depth))),
                arguments(named("objects", "{\"a\":".repeat(depth) + "1" + "}".repeat(depth))),
                arguments(named("inside a Patient", "{\"resourceType\":\"Patient\",\"extension\":" + "[".repeat(depth)
                        + "]".repeat(depth) + "}")),
                arguments(named("unclosed", "[".repeat(depth))),
                arguments(named("just over the limit", "{\"resourceType\":\"Patient\",\"x\":" + "[".repeat(FhirJson.MAX_DEPTH)
                        + "]".repeat(FhirJson.MAX_DEPTH) + "}")));
    }

    @ParameterizedTest
    @MethodSource("deepJson")
    void post_of_deeply_nested_json_is_400(String body) {
        assertOutcome(post("Patient", utf8(body)), 400, "Content could not be parsed", "nested deeper than");
    }

    @ParameterizedTest
    @MethodSource("deepJson")
    void put_of_deeply_nested_json_is_400(String body) {
        String id = newId();
        assertOutcome(put("Patient", id, utf8(body)), 400, "Content could not be parsed", "nested deeper than");
        assertAbsent("Patient", id);
    }

    @ParameterizedTest
    @MethodSource("deepJson")
    void patch_of_deeply_nested_json_is_400(String body) {
        assertOutcome(patchExisting(body), 400, "Content could not be parsed", "nested deeper than");
    }

    @Test
    void a_patch_value_nested_deeper_than_the_limit_is_400() {
        int depth = 10_000;
        String patch = "[{\"op\":\"add\",\"path\":\"/extension\",\"value\":" + "[".repeat(depth) + "]".repeat(depth) + "}]";
        assertOutcome(patchExisting(patch), 400, "nested deeper than");
    }

    static Stream<Arguments> invalidUtf8() {
        return Stream.of(
                arguments(named("C3 28 (bad continuation)", new int[] {0xC3, 0x28})),
                arguments(named("FF", new int[] {0xFF})),
                arguments(named("FE", new int[] {0xFE})),
                arguments(named("a lone continuation byte 80", new int[] {0x80})),
                arguments(named("overlong slash C0 AF", new int[] {0xC0, 0xAF})),
                arguments(named("overlong NUL C0 80", new int[] {0xC0, 0x80})),
                arguments(named("overlong 3-byte slash E0 80 AF", new int[] {0xE0, 0x80, 0xAF})),
                arguments(named("overlong 4-byte F0 80 80 AF", new int[] {0xF0, 0x80, 0x80, 0xAF})),
                arguments(named("a UTF-16 surrogate ED A0 80", new int[] {0xED, 0xA0, 0x80})),
                arguments(named("above U+10FFFF F4 90 80 80", new int[] {0xF4, 0x90, 0x80, 0x80})),
                arguments(named("truncated 3-byte E2 82", new int[] {0xE2, 0x82})),
                arguments(named("5-byte form F8 88 80 80 80", new int[] {0xF8, 0x88, 0x80, 0x80, 0x80})));
    }

    @ParameterizedTest
    @MethodSource("invalidUtf8")
    void post_with_invalid_utf8_in_a_string_is_400(int[] bad) {
        var body = bytes("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a", bad, "b\"}]}");
        assertOutcome(post("Patient", body), 400, "Content could not be parsed", "UTF-8");
    }

    @ParameterizedTest
    @MethodSource("invalidUtf8")
    void put_with_invalid_utf8_in_a_key_is_400(int[] bad) {
        String id = newId();
        var body = bytes("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"x", bad, "\":true}");
        assertOutcome(put("Patient", id, body), 400, "Content could not be parsed", "UTF-8");
        assertAbsent("Patient", id);
    }

    @ParameterizedTest
    @MethodSource("invalidUtf8")
    void patch_with_invalid_utf8_in_a_value_is_400(int[] bad) {
        var body = bytes("[{\"op\":\"replace\",\"path\":\"/name/0/family\",\"value\":\"", bad, "\"}]");
        var reply = existingApi.raw("PATCH", "/fhir/R4/Patient/" + existingId, PATCH_JSON, body);
        assertOutcome(reply, 400, "Content could not be parsed", "UTF-8");
    }

    @Test
    void a_utf8_byte_order_mark_before_the_json_is_accepted_or_rejected_cleanly() {
        var reply = verbatimApi.raw("POST", "/fhir/R4/Patient", Api.FHIR_JSON, bytes(new int[] {0xEF, 0xBB, 0xBF}, "{\"resourceType\":\"Patient\"}"));
        if (reply.status() != 201) assertOutcome(reply, 400, "Content could not be parsed");
    }

    static Stream<Arguments> duplicateKeys() {
        return Stream.of(
                arguments(named("top level", "{\"resourceType\":\"Patient\",\"active\":true,\"active\":false}"), "active"),
                arguments(named("top level, same value", "{\"resourceType\":\"Patient\",\"active\":true,\"active\":true}"), "active"),
                arguments(named("in a nested object", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a\",\"family\":\"b\"}]}"), "family"),
                arguments(named("deep in meta", "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"code\":\"a\",\"system\":\"s\",\"code\":\"b\"}]}}"), "code"),
                arguments(named("the id", "{\"resourceType\":\"Patient\",\"id\":\"a\",\"id\":\"b\"}"), "id"));
    }

    @ParameterizedTest
    @MethodSource("duplicateKeys")
    void post_with_duplicate_keys_is_400(String body, String key) {
        assertOutcome(post("Patient", utf8(body)), 400, "Content could not be parsed", "duplicate key '" + key + "'");
    }

    @ParameterizedTest
    @MethodSource("duplicateKeys")
    void put_with_duplicate_keys_is_400(String body, String key) {
        String id = newId();
        String withId = body.contains("\"id\"") ? body : body.replace("\"Patient\"", "\"Patient\",\"id\":\"" + id + "\"");
        assertOutcome(put("Patient", id, utf8(withId)), 400, "duplicate key '" + key + "'");
        assertAbsent("Patient", id);
    }

    @Test
    void patch_with_duplicate_keys_in_an_operation_is_400() {
        assertOutcome(patchExisting("[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false,\"value\":true}]"), 400,
                "duplicate key 'value'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"active\":null", "\"meta\":null", "\"name\":null", "\"text\":null"})
    void a_top_level_null_value_is_400(String member) {
        var posted = post("Patient", utf8("{\"resourceType\":\"Patient\"," + member + "}"));
        assertOutcome(posted, 400);
        assertThat(posted.outcomeText()).containsAnyOf("null", "meta");
        String id = newId();
        var put = put("Patient", id, utf8("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"," + member + "}"));
        assertOutcome(put, 400);
        assertThat(put.outcomeText()).containsAnyOf("null", "meta");
        assertAbsent("Patient", id);
    }

    /** FHIR JSON never has a property whose value is null (nulls only align primitive arrays with their _ twins). */
    @ParameterizedTest
    @ValueSource(strings = {"\"name\":[{\"family\":null}]", "\"meta\":{\"source\":null}", "\"contact\":[{\"name\":{\"text\":null}}]"})
    void a_nested_null_value_is_400(String member) {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\"," + member + "}")), 400, "null");
    }

    @Test
    void a_patch_that_adds_a_null_is_400() {
        assertOutcome(patchExisting("[{\"op\":\"add\",\"path\":\"/active\",\"value\":null}]"), 400, "null");
        assertOutcome(patchExisting("[{\"op\":\"replace\",\"path\":\"/name/0/family\",\"value\":null}]"), 400, "null");
    }

    @Test
    void an_empty_property_name_is_400() {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\",\"\":1}")), 400, "empty");
    }

    @Test
    void meta_that_is_not_an_object_is_400() {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\",\"meta\":\"x\"}")), 400, "meta");
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\",\"meta\":[]}")), 400, "meta");
    }

    @Test
    void a_number_longer_than_64_digits_is_400() {
        assertOutcome(post("Patient", utf8("{\"resourceType\":\"Patient\",\"x\":" + "9".repeat(65) + "}")), 400,
                "Content could not be parsed");
    }

    // --- odd but valid values are stored exactly ------------------------------------------------------

    /** NUL is the one character PostgreSQL cannot store; it is refused (see the NUL tests), every other one is kept. */
    @Test
    void sql_metacharacters_emoji_and_other_scripts_in_values_are_stored_verbatim() {
        List<String> values = List.of("'; drop table resource; --", "Robert'); DROP TABLE resource;--", "\" OR 1=1 --",
                "\ud83d\ude00\ud83c\udff3\ufe0f\u200d\ud83c\udf08", "Zo\u00eb", "\u65e5\u672c\u8a9e", "\u202eevil", "%00", "\\",
                "$1 ?", "a\u0001b", "\uFFFF", "\ud800\udc00");
        var given = FhirJson.mapper().createArrayNode();
        values.forEach(given::add);
        var patient = FhirJson.mapper().createObjectNode().put("resourceType", "Patient");
        patient.putArray("name").addObject().put("family", "'; drop table resource; --").set("given", given);
        patient.putArray("extension").addObject().put("url", "http://example.org/'; drop table resource; --/\ud83d\ude00")
                .put("valueString", "\ud83d\ude00");
        var created = verbatimApi.raw("POST", "/fhir/R4/Patient", Api.FHIR_JSON, FhirJson.bytes(patient));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asText();
        var read = verbatimApi.get("/fhir/R4/Patient/" + id).json();
        assertThat(read.path("name")).isEqualTo(patient.path("name"));
        assertThat(read.path("extension")).isEqualTo(patient.path("extension"));
        var history = verbatimApi.get("/fhir/R4/Patient/" + id + "/_history").json();
        assertThat(history.path("entry").path(0).path("resource").path("name")).isEqualTo(patient.path("name"));
    }

    @Test
    void an_id_of_exactly_64_characters_is_accepted() {
        String id = "a".repeat(32) + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 31);
        assertThat(id).hasSize(64);
        var reply = verbatimApi.put("/fhir/R4/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        assertThat(verbatimApi.get("/fhir/R4/Patient/" + id).status()).isEqualTo(200);
    }

    /**
     * A lone surrogate escape is valid JSON text but no Unicode string; it must be refused, or come back as
     * sent, never silently turned into something else.
     */
    @ParameterizedTest
    @ValueSource(strings = {"\\ud800", "a\\udc00b", "\\ud83d"})
    void a_lone_surrogate_escape_is_rejected_or_kept_exactly(String escaped) {
        var reply = verbatimApi.post("/fhir/R4/Patient",
                "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + escaped + "\"}]}");
        if (reply.status() == 201) {
            String expected = FhirJson.parse(utf8("\"" + escaped + "\"")).asText();
            var read = verbatimApi.get("/fhir/R4/Patient/" + reply.json().get("id").asText());
            String actual = read.json().path("name").path(0).path("family").asText();
            assertThat(actual.chars().mapToObj(Integer::toHexString).toList()).as("UTF-16 code units read back")
                    .isEqualTo(expected.chars().mapToObj(Integer::toHexString).toList());
        } else {
            assertOutcome(reply, 400);
        }
    }

    /** PostgreSQL's jsonb refuses the NUL escape; a ProjectMembership is indexed as jsonb, so this must not become a 500. */
    @Test
    void a_nul_escape_in_a_project_membership_is_stored_or_rejected_cleanly() {
        var reply = verbatimApi.post("/fhir/R4/ProjectMembership",
                "{\"resourceType\":\"ProjectMembership\",\"profile\":{\"display\":\"a\\u0000b\"}}");
        if (reply.status() == 201) {
            var read = verbatimApi.get("/fhir/R4/ProjectMembership/" + reply.json().get("id").asText());
            assertThat(read.json().path("profile").path("display").asText()).isEqualTo("a\u0000b");
        } else {
            assertOutcome(reply, 400);
        }
    }

    /** A valid FHIR decimal; the server must store it or refuse it, not fail writing it out. */
    @ParameterizedTest
    @ValueSource(strings = {"1e99999", "1E+100000", "1e-100000", "-1.5e999999999"})
    void a_decimal_with_a_huge_exponent_is_stored_or_rejected_cleanly(String number) {
        var reply = verbatimApi.post("/fhir/R4/Observation",
                "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":" + number + "}}");
        if (reply.status() == 201) {
            var read = verbatimApi.get("/fhir/R4/Observation/" + reply.json().get("id").asText());
            assertThat(read.json().path("valueQuantity").path("value").decimalValue())
                    .isEqualByComparingTo(new java.math.BigDecimal(number));
        } else {
            assertOutcome(reply, 400);
        }
    }

    // --- bad JSON Patch -------------------------------------------------------------------------------

    /** Patches whose outcome text contains the given words ({@code |}-separated). */
    static Stream<Arguments> badPatches() {
        return Stream.of(
                arguments(named("an object instead of an array", "{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}"),
                        "must be an array"),
                arguments(named("a string", "\"replace\""), "must be an array"),
                arguments(named("an operation that is not an object", "[\"replace\"]"), "operation 0"),
                arguments(named("an unknown op", "[{\"op\":\"frobnicate\",\"path\":\"/active\",\"value\":false}]"), "unknown op"),
                arguments(named("a missing op", "[{\"path\":\"/active\",\"value\":false}]"), "'op'"),
                arguments(named("a missing path", "[{\"op\":\"replace\",\"value\":false}]"), "'path'"),
                arguments(named("a missing value", "[{\"op\":\"replace\",\"path\":\"/active\"}]"), "'value'"),
                arguments(named("a path not found", "[{\"op\":\"replace\",\"path\":\"/birthDate\",\"value\":\"2000-01-01\"}]"),
                        "does not exist"),
                arguments(named("a remove of a missing element", "[{\"op\":\"remove\",\"path\":\"/name/5\"}]"), "out of bounds"),
                arguments(named("a path without a slash", "[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]"), "'/'"),
                arguments(named("a failing test after a change",
                        "[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false},{\"op\":\"test\",\"path\":\"/name/0/family\",\"value\":\"Other\"}]"),
                        "operation 1|did not match"),
                arguments(named("a replace of the id", "[{\"op\":\"replace\",\"path\":\"/id\",\"value\":\"other-id\"}]"), "Incorrect ID"),
                arguments(named("a remove of the id", "[{\"op\":\"remove\",\"path\":\"/id\"}]"), "Incorrect ID"),
                arguments(named("an invalid id", "[{\"op\":\"replace\",\"path\":\"/id\",\"value\":\"a b\"}]"), "Incorrect ID"),
                arguments(named("a replace of the resourceType", "[{\"op\":\"replace\",\"path\":\"/resourceType\",\"value\":\"Observation\"}]"),
                        "Incorrect resource type"),
                arguments(named("a remove of the resourceType", "[{\"op\":\"remove\",\"path\":\"/resourceType\"}]"),
                        "Incorrect resource type"),
                arguments(named("a whole-document replace with an array", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]"),
                        "not a resource"),
                arguments(named("a whole-document replace with another type",
                        "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"resourceType\":\"Account\"}}]"), "Incorrect resource type"),
                arguments(named("meta made a string", "[{\"op\":\"replace\",\"path\":\"/meta\",\"value\":\"x\"}]"), "meta"),
                arguments(named("a move into its own child", "[{\"op\":\"move\",\"from\":\"/name\",\"path\":\"/name/0/x\"}]"),
                        "into itself"));
    }

    @ParameterizedTest
    @MethodSource("badPatches")
    void a_bad_json_patch_is_400_and_writes_no_version(String patch, String words) {
        assertOutcome(patchExisting(patch), 400, words.split("\\|"));
        assertThat(existingApi.get("/fhir/R4/Patient/" + existingId + "/_history").json().path("total").asInt()).isEqualTo(1);
    }

    @Test
    void a_patch_of_a_missing_resource_is_404() {
        String id = newId();
        assertOutcome(api.patch("/fhir/R4/Patient/" + id, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]"), 404, "Not found");
        assertAbsent("Patient", id);
    }

    @Test
    void a_patch_of_another_projects_resource_is_404() {
        assertOutcome(api.patch("/fhir/R4/Patient/" + existingId, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]"),
                404, "Not found");
    }

    // --- history parameters ---------------------------------------------------------------------------

    static Stream<Arguments> badHistoryParameters() {
        return Stream.of(
                arguments(named("_count=-1", "_count=-1"), "_count"),
                arguments(named("_count=100000", "_count=100000"), "_count"),
                arguments(named("_count=1001", "_count=1001"), "_count"),
                arguments(named("_count=abc", "_count=abc"), "_count"),
                arguments(named("_count=1.5", "_count=1.5"), "_count"),
                arguments(named("_count=99999999999999999999", "_count=99999999999999999999"), "_count"),
                arguments(named("_offset=-1", "_offset=-1"), "_offset"),
                arguments(named("_offset=abc", "_offset=abc"), "_offset"),
                arguments(named("_since=yesterday", "_since=yesterday"), "_since"),
                arguments(named("_since without a zone", "_since=2026-01-01T00:00:00"), "_since"),
                arguments(named("_since with SQL", "_since=%27%3B%20drop%20table%20resource%3B%20--"), "_since"),
                arguments(named("an unknown parameter", "foo=bar"), "foo"),
                arguments(named("a search parameter", "name=x"), "name"),
                arguments(named("an unknown parameter with SQL", "%27%3B%20drop%20table%20resource%3B%20--=1"), "drop table"));
    }

    @ParameterizedTest
    @MethodSource("badHistoryParameters")
    void bad_type_history_parameters_are_400(String query, String word) {
        var json = assertOutcome(api.get("/fhir/R4/Patient/_history?" + query), 400, word);
        assertThat(json.path("issue").path(0).path("expression").path(0).asText()).contains(word);
    }

    @ParameterizedTest
    @MethodSource("badHistoryParameters")
    void bad_instance_history_parameters_are_400(String query, String word) {
        assertOutcome(existingApi.get("/fhir/R4/Patient/" + existingId + "/_history?" + query), 400, word);
    }

    @Test
    void a_very_long_unknown_history_parameter_is_not_echoed_in_full() {
        String name = "p".repeat(5000);
        var json = assertOutcome(api.get("/fhir/R4/Patient/_history?" + name + "=1"), 400, "Unknown history parameter");
        assertThat(json.toString().length()).isLessThan(2000);
    }

    // --- If-Match -------------------------------------------------------------------------------------

    private Reply putExistingWith(String ifMatch) {
        return existingApi.send(existingApi.request("/fhir/R4/Patient/" + existingId).header("Content-Type", Api.FHIR_JSON)
                .header("If-Match", ifMatch)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"id\":\"" + existingId + "\",\"active\":false}")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"W/\"\"", "\"\"", "W/", "\"0123456789012345678901234567890123456789012345678901234567890123456789\""})
    void an_unusable_if_match_is_400(String ifMatch) {
        assertOutcome(putExistingWith(ifMatch), 400, "If-Match");
    }

    @ParameterizedTest
    @ValueSource(strings = {"W/\"not-a-version\"", "garbage", "W/\"1\"", "\"'; drop table resource; --\"",
            "W/\"00000000-0000-0000-0000-000000000000\""})
    void an_if_match_naming_no_current_version_is_412(String ifMatch) {
        var json = assertOutcome(putExistingWith(ifMatch), 412);
        assertThat(json.path("id").asText()).isEqualTo("precondition-failed");
    }

    @Test
    void patch_and_delete_with_a_garbage_if_match_change_nothing() {
        var patch = existingApi.send(existingApi.request("/fhir/R4/Patient/" + existingId).header("Content-Type", PATCH_JSON)
                .header("If-Match", "W/\"garbage\"")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}]")));
        assertOutcome(patch, 412);
        var delete = existingApi.send(existingApi.request("/fhir/R4/Patient/" + existingId).header("If-Match", "W/\"\"").DELETE());
        assertOutcome(delete, 400, "If-Match");
        var delete2 = existingApi.send(existingApi.request("/fhir/R4/Patient/" + existingId).header("If-Match", "W/\"garbage\"").DELETE());
        assertOutcome(delete2, 412);
    }

    @Test
    void an_if_match_on_a_missing_resource_is_412_and_creates_nothing() {
        String id = newId();
        var reply = api.send(api.request("/fhir/R4/Patient/" + id).header("Content-Type", Api.FHIR_JSON)
                .header("If-Match", "W/\"" + UUID.randomUUID() + "\"")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}")));
        assertOutcome(reply, 412);
        assertAbsent("Patient", id);
    }

    /** RFC 9110 §13.1.1: {@code If-Match: *} is true whenever a current representation exists. */
    @Test
    void an_if_match_star_matches_any_current_version() {
        var created = verbatimApi.post("/fhir/R4/Account", "{\"resourceType\":\"Account\",\"status\":\"active\"}");
        String id = created.json().get("id").asText();
        var reply = verbatimApi.send(verbatimApi.request("/fhir/R4/Account/" + id).header("Content-Type", Api.FHIR_JSON)
                .header("If-Match", "*")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Account\",\"id\":\"" + id + "\",\"status\":\"inactive\"}")));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        String missing = newId();
        var onMissing = api.send(api.request("/fhir/R4/Account/" + missing).header("Content-Type", Api.FHIR_JSON)
                .header("If-Match", "*")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Account\",\"id\":\"" + missing + "\"}")));
        assertOutcome(onMissing, 412);
        assertAbsent("Account", missing);
    }

    // --- fields a project client must not set ---------------------------------------------------------

    /**
     * {@code Project.superAdmin} decides whether a client sees every project; a client of an ordinary project
     * must not be able to set it on its own Project (a throwaway project, so that a failure here cannot leak
     * into the other tests' projects).
     */
    @Test
    void a_project_client_cannot_make_its_own_project_super_admin() {
        var attacker = TestServer.get().newProject();
        var victim = existingApi.get("/fhir/R4/Patient/" + existingId);
        assertThat(victim.status()).isEqualTo(200);
        assertThat(attacker.api().get("/fhir/R4/Patient/" + existingId).status()).isEqualTo(404);

        var own = attacker.api().get("/fhir/R4/Project/" + attacker.projectId());
        var escalate = attacker.api().put("/fhir/R4/Project/" + attacker.projectId(), "{\"resourceType\":\"Project\",\"id\":\""
                + attacker.projectId() + "\",\"name\":\"mine\",\"superAdmin\":true}");
        assertThat(escalate.status()).as(escalate.toString()).isIn(400, 403);
        assertOutcome(escalate, escalate.status());
        var after = TestServer.get().admin().get("/fhir/R4/Project/" + attacker.projectId());
        assertThat(after.json().path("superAdmin").asBoolean(false)).as(after.toString()).isFalse();
        if (own.status() == 200) assertThat(after.json()).isEqualTo(own.json());
        var read = attacker.api().get("/fhir/R4/Patient/" + existingId);
        assertThat(read.status()).as("another project's Patient, read after the attempt: " + read).isEqualTo(404);
    }

    // --- authentication -------------------------------------------------------------------------------

    private static void assertUnauthorized(Reply reply, String scheme) {
        var json = assertOutcome(reply, 401, "Unauthorized");
        assertThat(json.path("id").asText()).isEqualTo("unauthorized");
        assertThat(json.path("issue").path(0).path("code").asText()).isEqualTo("login");
        assertThat(reply.header("WWW-Authenticate")).as("WWW-Authenticate").isNotNull()
                .startsWith(scheme + " realm=\"" + TestServer.get().baseUrl() + "\"");
    }

    @Test
    void a_request_without_credentials_is_401_and_stores_nothing() {
        var anonymous = TestServer.get().anonymous();
        assertUnauthorized(anonymous.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"), "Basic");
        String id = newId();
        assertUnauthorized(anonymous.put("/fhir/R4/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\"}"), "Basic");
        assertUnauthorized(anonymous.get("/fhir/R4/Patient/" + existingId), "Basic");
        assertUnauthorized(anonymous.patch("/fhir/R4/Patient/" + existingId, "[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}]"), "Basic");
        assertUnauthorized(anonymous.delete("/fhir/R4/Patient/" + existingId), "Basic");
        assertUnauthorized(anonymous.get("/fhir/R4/Patient/_history"), "Basic");
        assertAbsent("Patient", id);
    }

    @Test
    void a_wrong_secret_is_401_and_stores_nothing() {
        var wrong = new Api(TestServer.get().baseUrl(), project.clientId(), project.secret() + "x");
        assertUnauthorized(wrong.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"), "Basic");
        var empty = new Api(TestServer.get().baseUrl(), project.clientId(), "");
        assertUnauthorized(empty.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"), "Basic");
    }

    @Test
    void an_unknown_client_is_401() {
        var unknown = new Api(TestServer.get().baseUrl(), UUID.randomUUID().toString(), project.secret());
        assertUnauthorized(unknown.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"), "Basic");
        var sql = new Api(TestServer.get().baseUrl(), "' or '1'='1", "' or '1'='1");
        assertUnauthorized(sql.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"), "Basic");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Basic", "Basic ", "Basic !!!not-base64!!!", "Basic Og==", "Digest username=\"x\"", "basic"})
    void a_malformed_basic_authorization_header_is_401(String authorization) {
        var reply = TestServer.get().anonymous().send(TestServer.get().anonymous().request("/fhir/R4/Patient")
                .header("Content-Type", Api.FHIR_JSON).header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\"}")));
        assertUnauthorized(reply, "Basic");
    }

    @Test
    void a_bearer_token_that_is_not_valid_is_401_with_a_bearer_challenge() {
        var reply = TestServer.get().anonymous().send(TestServer.get().anonymous().request("/fhir/R4/Patient")
                .header("Content-Type", Api.FHIR_JSON).header("Authorization", "Bearer not.a.jwt")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\"}")));
        assertUnauthorized(reply, "Bearer");
    }

    @Test
    void credentials_in_a_basic_header_with_a_non_ascii_secret_are_401_not_500() {
        String header = "Basic " + Base64.getEncoder().encodeToString(utf8(project.clientId() + ":s\u00e9cret\ud83d\ude00"));
        var reply = TestServer.get().anonymous().send(TestServer.get().anonymous().request("/fhir/R4/Patient")
                .header("Content-Type", Api.FHIR_JSON).header("Authorization", header)
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\"}")));
        assertUnauthorized(reply, "Basic");
    }

    // --- routes ---------------------------------------------------------------------------------------

    @Test
    void an_unsupported_method_on_a_known_path_is_405() {
        var json = assertOutcome(api.raw("DELETE", "/fhir/R4/Patient/_history", null, null), 405, "Method not allowed");
        assertThat(json.path("id").asText()).isEqualTo("method-not-allowed");
        assertOutcome(api.raw("POST", "/fhir/R4/Patient/" + newId(), Api.FHIR_JSON, utf8("{\"resourceType\":\"Patient\"}")), 405,
                "Method not allowed");
        assertOutcome(api.raw("POST", "/healthcheck", Api.FHIR_JSON, utf8("{}")), 405, "Method not allowed");
        assertOutcome(TestServer.get().anonymous().raw("DELETE", "/fhir/R4/metadata", null, null), 405, "Method not allowed");
    }

    /** RFC 9110 §15.5.6: a 405 response must say which methods the resource supports. */
    @Test
    void a_405_lists_the_allowed_methods() {
        var reply = api.raw("DELETE", "/fhir/R4/Patient/_history", null, null);
        assertThat(reply.status()).isEqualTo(405);
        assertThat(reply.header("Allow")).as("Allow header").isEqualTo("GET");
        var instance = api.raw("POST", "/fhir/R4/Patient/x", Api.FHIR_JSON, utf8("{}"));
        assertThat(instance.header("Allow")).as("Allow header").isNotNull().contains("GET", "PUT", "PATCH", "DELETE");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/nope", "/fhir", "/fhir/R5/Patient", "/fhir/R4/Patient/x/_history/1/extra", "/fhir/R4/Patient/x/y",
            "/healthcheck/x", "/FHIR/R4/Patient"})
    void an_unknown_route_is_a_404_outcome(String path) {
        var json = assertOutcome(api.get(path), 404, "Not found");
        assertThat(json.path("id").asText()).isEqualTo("not-found");
        assertOutcome(TestServer.get().anonymous().get(path), 404, "Not found");
    }

    @Test
    void an_unknown_route_with_a_body_is_a_404_outcome() {
        assertOutcome(api.raw("POST", "/nope", "text/plain", patientOfSize(null, MAX_BODY / 2)), 404, "Not found");
    }
}
