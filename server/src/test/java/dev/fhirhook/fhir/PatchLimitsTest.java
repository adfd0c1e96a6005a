package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Api.Reply;
import dev.fhirhook.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A JSON Patch's result is held to the limits of a request body (nesting depth, {@code max-json-size}) while it
 * is applied, so a small patch cannot grow a resource past them, nor the heap on the way. A refused patch writes
 * nothing: the resource keeps its one version. After every test the type's search and history still answer and
 * the server is healthy.
 */
class PatchLimitsTest {
    private static final int MAX_BODY = 1024 * 1024;
    /** Nesting levels of extensions in {@link #deep()}: 1 + 2 × 91 = 183 containers, within the 200 allowed. */
    private static final int LEVELS = 91;

    static Api api;

    @BeforeAll
    static void project() {
        api = TestServer.get().newProject().api();
    }

    @AfterEach
    void search_history_and_health_still_answer() {
        ReadPaths.assertAnswer(api, "Basic");
    }

    // --- helpers ------------------------------------------------------------------------------------

    /** The start of a reply, for assertion messages: the resources here are up to a megabyte. */
    private static String brief(Reply reply) {
        String text = reply.toString();
        return text.length() > 400 ? text.substring(0, 400) + "..." : text;
    }

    private static String extension(int levels, String leaf) {
        String inner = "{\"url\":\"http://example.org/x\",\"valueString\":\"" + leaf + "\"}";
        for (int i = 1; i < levels; i++) inner = "{\"url\":\"http://example.org/x\",\"extension\":[" + inner + "]}";
        return inner;
    }

    /** A Basic whose {@code extension} and {@code modifierExtension} each nest {@link #LEVELS} levels. */
    private static String deep() {
        return "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"deep\"},\"extension\":[" + extension(LEVELS, "a")
                + "],\"modifierExtension\":[" + extension(LEVELS, "b") + "]}";
    }

    private static String basicWithText(int length) {
        return "{\"resourceType\":\"Basic\",\"code\":{\"text\":\"big\"},\"extension\":[{\"url\":\"http://example.org/x\","
                + "\"valueString\":\"" + "x".repeat(length) + "\"}]}";
    }

    /** Creates {@code json}; returns it as stored. */
    private static JsonNode create(String json) {
        var reply = api.post("/fhir/R4/Basic", json);
        assertThat(reply.status()).as(brief(reply)).isEqualTo(201);
        return reply.json();
    }

    private static Reply patch(JsonNode target, String patch) {
        return api.patch("/fhir/R4/Basic/" + target.path("id").asText(), patch);
    }

    /** The resource is as it was created: the same version, and no other in its history. */
    private static void assertUnchanged(JsonNode created) {
        String id = created.path("id").asText();
        var read = api.get("/fhir/R4/Basic/" + id);
        assertThat(read.status()).as(brief(read)).isEqualTo(200);
        assertThat(read.json().path("meta").path("versionId")).isEqualTo(created.path("meta").path("versionId"));
        var history = api.get("/fhir/R4/Basic/" + id + "/_history");
        assertThat(history.json().path("total").asInt()).as(brief(history)).isEqualTo(1);
    }

    private static void assertOutcome(Reply reply, int status, String expression, String... words) {
        assertThat(reply.status()).as(brief(reply)).isEqualTo(status);
        var outcome = reply.json();
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.outcomeText()).as(brief(reply)).contains(words);
        if (expression != null) {
            assertThat(outcome.path("issue").path(0).path("expression").path(0).asText()).as(brief(reply)).isEqualTo(expression);
        }
    }

    private static String ops(int count, java.util.function.IntFunction<String> op) {
        var out = new StringBuilder("[");
        for (int i = 0; i < count; i++) out.append(i == 0 ? "" : ",").append(op.apply(i));
        return out.append("]").toString();
    }

    private static String deepPath(String branch, int levels) {
        return "/" + branch + "/0" + "/extension/0".repeat(levels - 1);
    }

    // --- depth ----------------------------------------------------------------------------------------

    static Stream<Arguments> deepeningPatches() {
        String innermost = deepPath("extension", LEVELS);
        return Stream.of(
                arguments(named("the chain copied into its own innermost element",
                        "[{\"op\":\"copy\",\"from\":\"/extension\",\"path\":\"" + innermost + "/extension\"}]"), 0),
                arguments(named("the root copied into the innermost element",
                        "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"" + innermost + "/root\"}]"), 0),
                arguments(named("the other chain moved under the innermost element",
                        "[{\"op\":\"move\",\"from\":\"/modifierExtension\",\"path\":\"" + innermost + "/extension\"}]"), 0),
                arguments(named("a value nested 150 levels added at the innermost element",
                        "[{\"op\":\"add\",\"path\":\"" + innermost + "/x\",\"value\":" + "[".repeat(150) + "]".repeat(150) + "}]"), 0),
                arguments(named("a replace with a chain as deep as allowed",
                        "[{\"op\":\"replace\",\"path\":\"" + innermost + "/valueString\",\"value\":"
                                + "[".repeat(60) + "]".repeat(60) + "}]"), 0),
                arguments(named("one level more in each of 50 operations",
                        ops(50, i -> "{\"op\":\"add\",\"path\":\"" + innermost + "/x".repeat(i) + "/x\",\"value\":{}}")), 17));
    }

    @ParameterizedTest
    @MethodSource("deepeningPatches")
    void a_patch_that_would_nest_deeper_than_a_request_may_is_400_and_writes_nothing(String patch, int failing) {
        var created = create(deep());
        assertOutcome(patch(created, patch), 400, "[" + failing + "]", "Invalid JSON Patch: operation " + failing + " failed",
                "nested deeper than 200 levels");
        assertUnchanged(created);
    }

    @Test
    void a_patch_may_nest_a_resource_exactly_as_deep_as_a_request_may() {
        var created = create(deep());
        // 183 containers so far; the innermost element gets 17 more, one array of arrays 17 deep
        String value = "[".repeat(17) + "]".repeat(17);
        var reply = patch(created, "[{\"op\":\"add\",\"path\":\"" + deepPath("extension", LEVELS) + "/x\",\"value\":" + value + "}]");
        assertThat(reply.status()).as(brief(reply)).isEqualTo(200);
        var deeper = patch(created, "[{\"op\":\"add\",\"path\":\"" + deepPath("extension", LEVELS) + "/x/0"
                + "/0".repeat(15) + "/-\",\"value\":[]}]");
        assertOutcome(deeper, 400, "[0]", "nested deeper than 200 levels");
    }

    // --- size -----------------------------------------------------------------------------------------

    /** Copies of the root into the root: each doubles the resource. */
    @ParameterizedTest
    @ValueSource(ints = {14, 30, 1000})
    void copying_the_root_into_itself_is_413_before_the_resource_outgrows_max_json_size(int count) {
        var created = create("{\"resourceType\":\"Basic\",\"code\":{\"text\":\"" + "s".repeat(400) + "\"}}");
        String patch = ops(count, i -> "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/contained" + i + "\"}");
        var reply = patch(created, patch);
        assertOutcome(reply, 413, null, "Patched resource too large", "larger than " + MAX_BODY + " bytes");
        assertThat(reply.json().path("id").asText()).isEqualTo("content-too-large");
        assertUnchanged(created);
    }

    static Stream<Arguments> growingPatches() {
        return Stream.of(
                arguments(named("copies of the root, each into the last", ops(40, i -> "{\"op\":\"copy\",\"from\":\"\","
                        + "\"path\":\"" + "/a".repeat(i + 1) + "\"}"))),
                arguments(named("a move of the root's copy back into the copy", ops(40, i -> i % 2 == 0
                        ? "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/a\"}"
                        : "{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/contained" + i + "\"}"))),
                arguments(named("an array doubled by copying its elements",
                        "[{\"op\":\"add\",\"path\":\"/a\",\"value\":[\"" + "y".repeat(1000) + "\"]},"
                                + ops(20, i -> "{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/0\"}").substring(1))));
    }

    @ParameterizedTest
    @MethodSource("growingPatches")
    void a_patch_growing_the_resource_past_max_json_size_is_413_and_writes_nothing(String patch) {
        var created = create("{\"resourceType\":\"Basic\",\"code\":{\"text\":\"" + "s".repeat(4000) + "\"}}");
        // the resource outgrows the limit, or the copies do first: either way a 413 before the heap fills
        var reply = patch(created, patch);
        assertOutcome(reply, 413, null, "too large: operation ");
        assertThat(reply.json().path("id").asText()).isEqualTo("content-too-large");
        assertUnchanged(created);
    }

    @Test
    void copying_and_removing_a_large_value_over_and_over_is_413() {
        var created = create(basicWithText(300_000));
        String patch = ops(400, i -> i % 2 == 0
                ? "{\"op\":\"copy\",\"from\":\"/extension/0\",\"path\":\"/extension/-\"}"
                : "{\"op\":\"remove\",\"path\":\"/extension/1\"}");
        assertOutcome(patch(created, patch), 413, null, "copies or moves more than " + MAX_BODY + " bytes");
        assertUnchanged(created);
    }

    @Test
    void a_patch_that_replaces_most_of_a_large_resource_within_the_limit_is_applied() {
        var created = create(basicWithText(600_000));
        String value = "z".repeat(600_000);
        var reply = patch(created, "[{\"op\":\"replace\",\"path\":\"/extension/0/valueString\",\"value\":\"" + value + "\"},"
                + "{\"op\":\"copy\",\"from\":\"/code\",\"path\":\"/extension/0/code\"}]");
        assertThat(reply.status()).as(brief(reply)).isEqualTo(200);
        assertThat(reply.json().path("extension").path(0).path("valueString").asText()).isEqualTo(value);
    }

    @Test
    void a_patch_growing_the_resource_just_past_max_json_size_is_413() {
        var created = create(basicWithText(600_000));
        String half = "w".repeat(500_000);
        var reply = patch(created, "[{\"op\":\"add\",\"path\":\"/extension/0/id\",\"value\":\"" + half + "\"}]");
        assertOutcome(reply, 413, "[0]", "Patched resource too large: operation 0 makes it larger than " + MAX_BODY + " bytes");
        assertUnchanged(created);
    }

    @Test
    void an_amplifying_patch_in_a_bundle_is_refused_and_rolls_back() {
        var created = create("{\"resourceType\":\"Basic\",\"code\":{\"text\":\"" + "s".repeat(400) + "\"}}");
        String patch = ops(30, i -> "{\"op\":\"copy\",\"from\":\"\",\"path\":\"/contained" + i + "\"}");
        String entry = "{\"request\":{\"method\":\"PATCH\",\"url\":\"Basic/" + created.path("id").asText() + "\"},"
                + "\"resource\":{\"resourceType\":\"Binary\",\"contentType\":\"application/json-patch+json\",\"data\":\""
                + Base64.getEncoder().encodeToString(patch.getBytes(StandardCharsets.UTF_8)) + "\"}}";
        var transaction = api.post("/fhir/R4/", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + entry + "]}");
        assertOutcome(transaction, 413, null, "Patched resource too large");
        var batch = api.post("/fhir/R4/", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[" + entry + "]}");
        assertThat(batch.status()).as(brief(batch)).isEqualTo(200);
        assertThat(batch.json().path("entry").path(0).path("response").path("status").asText()).isEqualTo("413");
        assertUnchanged(created);
    }
}
