package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 6902 JSON Patch, pure: every operation, the examples of the RFC's appendix A and every way a patch
 * fails. Documents are parsed with the server's own mapper, so numbers are the node types the server sees.
 */
class JsonPatchTest {

    private static JsonNode json(String text) {
        try {
            return FhirJson.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError("test JSON is malformed: " + text, e);
        }
    }

    /** A request body's default limits. */
    private static final JsonPatch.Limits LIMITS = new JsonPatch.Limits(1024 * 1024, FhirJson.MAX_DEPTH);

    private static JsonNode apply(String document, String patch) {
        return JsonPatch.apply(json(document), json(patch), LIMITS);
    }

    private static void assertPatched(String document, String patch, String expected) {
        assertThat(apply(document, patch)).isEqualTo(json(expected));
    }

    /** The patch fails with a 400 {@code fhir.invalid-patch} naming operation {@code index} and the reason. */
    private static void assertFails(String document, String patch, int index, String... reason) {
        assertThatThrownBy(() -> apply(document, patch))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.code()).isEqualTo("fhir.invalid-patch");
                    assertThat(e.issueCode()).isEqualTo("invalid");
                    assertThat(e.expression()).isEqualTo("[" + index + "]");
                    assertThat(e.text()).startsWith("Invalid JSON Patch: operation " + index + " failed: ")
                            .contains(reason);
                });
    }

    // --- appendix A of RFC 6902 -----------------------------------------------------------------

    @Test
    void a1_adding_an_object_member() {
        assertPatched("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
                "{\"baz\":\"qux\",\"foo\":\"bar\"}");
    }

    @Test
    void a2_adding_an_array_element_inserts_before_the_index() {
        assertPatched("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
                "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
    }

    @Test
    void a3_removing_an_object_member() {
        assertPatched("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}");
    }

    @Test
    void a4_removing_an_array_element_shifts_the_rest() {
        assertPatched("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
                "{\"foo\":[\"bar\",\"baz\"]}");
    }

    @Test
    void a5_replacing_a_value() {
        assertPatched("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
                "{\"baz\":\"boo\",\"foo\":\"bar\"}");
    }

    @Test
    void a6_moving_a_value() {
        assertPatched("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
                "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
                "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
    }

    @Test
    void a7_moving_an_array_element() {
        assertPatched("{\"foo\":[\"all\",\"grass\",\"cows\",\"eats\"]}",
                "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
                "{\"foo\":[\"all\",\"cows\",\"eats\",\"grass\"]}");
    }

    @Test
    void a8_testing_a_value_that_matches_changes_nothing() {
        String doc = "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
                + "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]", doc);
    }

    @Test
    void a9_testing_a_value_that_does_not_match_fails() {
        assertFails("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", 0,
                "test of /baz did not match");
    }

    @Test
    void a10_adding_a_nested_member_object() {
        assertPatched("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
                "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
    }

    @Test
    void a11_unrecognized_members_of_an_operation_are_ignored() {
        assertPatched("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
                "{\"foo\":\"bar\",\"baz\":\"qux\"}");
    }

    @Test
    void a12_adding_to_a_nonexistent_target_fails() {
        assertFails("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", 0,
                "/baz", "does not exist");
    }

    @Test
    void a13_a_patch_with_a_duplicate_op_member_is_not_even_parsed() {
        byte[] patch = "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> FhirJson.parse(patch)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.text()).contains("duplicate key", "'op'");
        });
    }

    @Test
    void a14_tilde_escapes_are_decoded_in_the_right_order() {
        String doc = "{\"/\":9,\"~1\":10}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", doc);
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/~1\",\"value\":9}]", doc);
        assertPatched(doc, "[{\"op\":\"replace\",\"path\":\"/~01\",\"value\":11}]", "{\"/\":9,\"~1\":11}");
        assertPatched("{\"a/b\":{\"m~n\":1}}", "[{\"op\":\"remove\",\"path\":\"/a~1b/m~0n\"}]", "{\"a/b\":{}}");
    }

    @Test
    void a15_a_string_never_equals_a_number() {
        assertFails("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", 0, "did not match");
    }

    @Test
    void a16_adding_an_array_value_appends_it_as_one_element() {
        assertPatched("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
                "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
    }

    // --- each operation in more detail ------------------------------------------------------------

    @Test
    void add_replaces_an_existing_member() {
        assertPatched("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":2}]", "{\"a\":2}");
    }

    @Test
    void add_at_the_array_length_appends_and_dash_appends_too() {
        assertPatched("{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":3},{\"op\":\"add\",\"path\":\"/a/-\",\"value\":4}]",
                "{\"a\":[1,2,3,4]}");
        assertPatched("{\"a\":[]}", "[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":\"first\"}]", "{\"a\":[\"first\"]}");
    }

    @Test
    void add_with_the_empty_path_replaces_the_whole_document() {
        assertPatched("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}");
    }

    @Test
    void add_keeps_null_values_and_nested_structures() {
        assertPatched("{}", "[{\"op\":\"add\",\"path\":\"/n\",\"value\":null},"
                + "{\"op\":\"add\",\"path\":\"/o\",\"value\":{\"x\":[1,{\"y\":true}]}}]", "{\"n\":null,\"o\":{\"x\":[1,{\"y\":true}]}}");
    }

    @Test
    void object_members_named_like_array_indexes_are_plain_keys() {
        assertPatched("{\"0\":\"zero\",\"-\":\"dash\"}",
                "[{\"op\":\"replace\",\"path\":\"/0\",\"value\":\"ZERO\"},{\"op\":\"remove\",\"path\":\"/-\"},"
                        + "{\"op\":\"add\",\"path\":\"/01\",\"value\":1}]",
                "{\"0\":\"ZERO\",\"01\":1}");
    }

    @Test
    void the_empty_key_is_addressed_by_a_lone_slash() {
        assertPatched("{\"\":1}", "[{\"op\":\"replace\",\"path\":\"/\",\"value\":2}]", "{\"\":2}");
    }

    @Test
    void remove_the_last_array_element_and_a_nested_member() {
        assertPatched("{\"a\":[1,2,3],\"b\":{\"c\":{\"d\":1,\"e\":2}}}",
                "[{\"op\":\"remove\",\"path\":\"/a/2\"},{\"op\":\"remove\",\"path\":\"/b/c/d\"}]",
                "{\"a\":[1,2],\"b\":{\"c\":{\"e\":2}}}");
    }

    @Test
    void replace_an_array_element_keeps_its_position() {
        assertPatched("{\"a\":[1,2,3]}", "[{\"op\":\"replace\",\"path\":\"/a/1\",\"value\":\"two\"}]", "{\"a\":[1,\"two\",3]}");
    }

    @Test
    void replace_with_the_empty_path_replaces_the_whole_document() {
        assertPatched("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]");
    }

    @Test
    void move_to_the_same_location_changes_nothing() {
        assertPatched("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", "{\"a\":{\"b\":1}}");
    }

    @Test
    void move_out_of_a_child_into_its_parent() {
        assertPatched("{\"a\":{\"b\":{\"c\":1}}}", "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/a\"}]", "{\"a\":{\"c\":1}}");
    }

    @Test
    void move_between_arrays_and_to_the_end() {
        assertPatched("{\"a\":[1,2],\"b\":[3]}", "[{\"op\":\"move\",\"from\":\"/a/0\",\"path\":\"/b/-\"}]",
                "{\"a\":[2],\"b\":[3,1]}");
    }

    @Test
    void copy_duplicates_a_value_that_later_changes_independently() {
        assertPatched("{\"a\":{\"x\":1}}",
                "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"},{\"op\":\"replace\",\"path\":\"/b/x\",\"value\":2}]",
                "{\"a\":{\"x\":1},\"b\":{\"x\":2}}");
        assertPatched("{\"a\":[1,2]}", "[{\"op\":\"copy\",\"from\":\"/a/1\",\"path\":\"/a/0\"}]", "{\"a\":[2,1,2]}");
    }

    @Test
    void copy_of_the_whole_document_into_itself() {
        assertPatched("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"\",\"path\":\"/self\"}]", "{\"a\":1,\"self\":{\"a\":1}}");
    }

    @Test
    void test_compares_objects_regardless_of_member_order() {
        String doc = "{\"o\":{\"a\":1,\"b\":[true,null,{\"c\":\"d\"}]}}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"b\":[true,null,{\"c\":\"d\"}],\"a\":1}}]", doc);
    }

    @Test
    void test_compares_arrays_element_by_element_in_order() {
        String doc = "{\"a\":[1,\"2\",[3]]}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[1,\"2\",[3]]}]", doc);
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[\"2\",1,[3]]}]", 0, "did not match");
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[1,\"2\"]}]", 0, "did not match");
    }

    @Test
    void test_of_an_object_with_an_extra_member_fails() {
        assertFails("{\"o\":{\"a\":1}}", "[{\"op\":\"test\",\"path\":\"/o\",\"value\":{\"a\":1,\"b\":2}}]", 0, "did not match");
    }

    @Test
    void test_of_null_true_and_the_whole_document() {
        String doc = "{\"n\":null,\"t\":true}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":null},{\"op\":\"test\",\"path\":\"/t\",\"value\":true},"
                + "{\"op\":\"test\",\"path\":\"\",\"value\":{\"t\":true,\"n\":null}}]", doc);
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/t\",\"value\":\"true\"}]", 0, "did not match");
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":false}]", 0, "did not match");
    }

    /** RFC 6902 section 4.6: numbers are equal when their values are numerically equal. */
    @Test
    void test_finds_an_integer_equal_to_the_same_decimal() {
        String doc = "{\"n\":1}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0}]", doc);
    }

    /** RFC 6902 section 4.6: numbers are equal when their values are numerically equal. */
    @Test
    void test_finds_decimals_that_differ_only_in_trailing_zeros_equal() {
        String doc = "{\"d\":2.50}";
        assertPatched(doc, "[{\"op\":\"test\",\"path\":\"/d\",\"value\":2.5}]", doc);
    }

    @Test
    void test_finds_different_numbers_different() {
        String doc = "{\"n\":1,\"d\":2.50}";
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/d\",\"value\":2.51}]", 0, "did not match");
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":2}]", 0, "did not match");
        assertFails(doc, "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.000001}]", 0, "did not match");
    }

    @Test
    void an_empty_patch_returns_an_equal_copy() {
        var doc = json("{\"a\":[1]}");
        var patched = JsonPatch.apply(doc, json("[]"), LIMITS);
        assertThat(patched).isEqualTo(doc).isNotSameAs(doc);
    }

    @Test
    void the_input_document_is_never_modified() {
        var doc = json("{\"a\":[1,2],\"b\":{\"c\":1}}");
        var before = doc.deepCopy();
        var patched = JsonPatch.apply(doc, json("[{\"op\":\"remove\",\"path\":\"/a/0\"},{\"op\":\"add\",\"path\":\"/b/d\",\"value\":2}]"),
                LIMITS);
        assertThat(patched).isEqualTo(json("{\"a\":[2],\"b\":{\"c\":1,\"d\":2}}"));
        assertThat(doc).isEqualTo(before);
    }

    @Test
    void a_failing_operation_leaves_the_input_unchanged_after_earlier_ones_succeeded() {
        var doc = json("{\"a\":1}");
        var before = doc.deepCopy();
        assertThatThrownBy(() -> JsonPatch.apply(doc, json("[{\"op\":\"remove\",\"path\":\"/a\"},"
                + "{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/b\",\"value\":3}]"), LIMITS))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.expression()).isEqualTo("[2]"));
        assertThat(doc).isEqualTo(before);
    }

    @Test
    void operations_apply_in_order_each_seeing_the_result_of_the_previous() {
        assertPatched("{}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":[]},{\"op\":\"add\",\"path\":\"/a/-\",\"value\":1},"
                + "{\"op\":\"copy\",\"from\":\"/a/0\",\"path\":\"/a/-\"},{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"},"
                + "{\"op\":\"test\",\"path\":\"/b\",\"value\":[1,1]}]", "{\"b\":[1,1]}");
    }

    // --- every way a patch fails ------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"{\"op\":\"add\",\"path\":\"/a\",\"value\":1}", "\"add\"", "null", "42"})
    void a_patch_that_is_not_an_array_is_rejected(String patch) {
        assertThatThrownBy(() -> apply("{}", patch)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.code()).isEqualTo("fhir.invalid-patch");
            assertThat(e.text()).isEqualTo("Invalid JSON Patch: a JSON Patch must be an array of operations");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"add\"", "[]", "null", "1"})
    void an_operation_that_is_not_an_object_is_rejected(String op) {
        assertFails("{}", "[" + op + "]", 0, "an operation must be an object");
    }

    @Test
    void the_failing_operation_is_named_by_its_index() {
        assertFails("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":1},{\"op\":\"add\",\"path\":\"/b\",\"value\":2},"
                + "{\"op\":\"remove\",\"path\":\"/zzz\"}]", 2, "/zzz", "does not exist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"path\":\"/a\",\"value\":1}", "{\"op\":1,\"path\":\"/a\",\"value\":1}",
            "{\"op\":null,\"path\":\"/a\",\"value\":1}"})
    void an_operation_without_a_string_op_is_rejected(String op) {
        assertFails("{}", "[" + op + "]", 0, "'op' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ADD", "append", "", "Add"})
    void an_unknown_op_is_rejected(String name) {
        assertFails("{}", "[{\"op\":\"" + name + "\",\"path\":\"/a\",\"value\":1}]", 0, "unknown op '" + name + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "remove", "replace", "move", "copy", "test"})
    void every_op_needs_a_string_path(String name) {
        assertFails("{\"a\":1}", "[{\"op\":\"" + name + "\",\"from\":\"/a\",\"value\":1}]", 0, "'path' must be a string");
        assertFails("{\"a\":1}", "[{\"op\":\"" + name + "\",\"path\":[\"a\"],\"from\":\"/a\",\"value\":1}]", 0, "'path' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "replace", "test"})
    void add_replace_and_test_need_a_value(String name) {
        assertFails("{\"a\":1}", "[{\"op\":\"" + name + "\",\"path\":\"/a\"}]", 0, "'value' is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"move", "copy"})
    void move_and_copy_need_a_string_from(String name) {
        assertFails("{\"a\":1}", "[{\"op\":\"" + name + "\",\"path\":\"/b\"}]", 0, "'from' must be a string");
        assertFails("{\"a\":1}", "[{\"op\":\"" + name + "\",\"path\":\"/b\",\"from\":7}]", 0, "'from' must be a string");
    }

    @ParameterizedTest
    @ValueSource(strings = {"move", "copy"})
    void move_and_copy_from_a_missing_location_fail(String name) {
        assertFails("{\"a\":1}", "[{\"op\":\"" + name + "\",\"path\":\"/b\",\"from\":\"/nope\"}]", 0, "/nope", "does not exist");
        assertFails("{\"a\":[1]}", "[{\"op\":\"" + name + "\",\"path\":\"/b\",\"from\":\"/a/1\"}]", 0, "out of bounds");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b", " /a"})
    void a_path_must_start_with_a_slash(String path) {
        assertFails("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"" + path + "\"}]", 0, "must start with '/'");
    }

    @Test
    void a_from_must_start_with_a_slash() {
        assertFails("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"a\",\"path\":\"/b\"}]", 0, "must start with '/'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a~2", "/a~", "/~", "/a~b/c", "/x/~~1", "/\\n~2"})
    void an_invalid_tilde_escape_is_rejected(String path) {
        assertFails("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"" + path + "\",\"value\":1}]", 0, "invalid escape");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "remove  | /missing     | does not exist",
            "remove  | /a/b         | does not exist",
            "remove  | /arr/2       | out of bounds",
            "remove  | /arr/-       | not an array index",
            "remove  | /arr/01      | not an array index",
            "remove  | /arr/-1      | not an array index",
            "remove  | /arr/x       | not an array index",
            "remove  | /arr/1.0     | not an array index",
            "remove  | /arr/ 1      | not an array index",
            "remove  | /arr/99999999999 | not an array index",
            "replace | /missing     | does not exist",
            "replace | /arr/2       | out of bounds",
            "replace | /arr/-       | not an array index",
            "replace | /s/x         | does not exist",
            "test    | /missing     | does not exist",
            "test    | /arr/5       | out of bounds",
            "add     | /arr/3       | out of bounds",
            "add     | /arr/-1      | not an array index",
            "add     | /arr/01      | not an array index",
            "add     | /missing/x   | does not exist",
            "add     | /s/x         | is not a container",
            "add     | /n/x         | is not a container",
            "add     | /arr/0/x     | is not a container",
    })
    void a_path_that_does_not_resolve_is_rejected(String op, String path, String reason) {
        assertFails("{\"a\":1,\"arr\":[10,20],\"s\":\"text\",\"n\":null}",
                "[{\"op\":\"" + op + "\",\"path\":\"" + path + "\",\"value\":0}]", 0, reason);
    }

    @Test
    void removing_the_whole_document_is_rejected() {
        assertFails("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", 0, "cannot remove the whole document");
    }

    @Test
    void moving_the_whole_document_is_rejected() {
        assertFails("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/b\"}]", 0, "cannot move a value into itself");
    }

    @Test
    void moving_a_value_into_its_own_child_is_rejected() {
        assertFails("{\"a\":{\"b\":{}}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", 0, "cannot move a value into itself");
        assertFails("{\"a\":{\"b\":{}}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", 0, "cannot move a value into itself");
    }

    @Test
    void moving_to_a_sibling_whose_name_starts_like_the_source_is_allowed() {
        assertPatched("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]", "{\"ab\":1}");
    }

    @Test
    void a_test_failure_message_names_the_path() {
        assertFails("{\"a\":{\"b\":1}}", "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":2}]", 0, "test of /a/b did not match");
    }

    // --- limits ---------------------------------------------------------------------------------------

    private static JsonNode apply(String document, String patch, long maxBytes, int maxDepth) {
        return JsonPatch.apply(json(document), json(patch), new JsonPatch.Limits(maxBytes, maxDepth));
    }

    private static void assertTooLarge(String document, String patch, long maxBytes, int index, String... words) {
        assertThatThrownBy(() -> apply(document, patch, maxBytes, FhirJson.MAX_DEPTH))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(413);
                    assertThat(e.expression()).isEqualTo("[" + index + "]");
                    assertThat(e.text()).contains("operation " + index + " ").contains(words);
                });
    }

    /**
     * The size the patch keeps is the serialized size exactly, for every way an operation changes it: the result
     * fits a limit of exactly its size and not one byte less. Each patch ends with the operation that makes the
     * document largest, so that its last state is the one the limit decides on.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{}                            | [{'op':'add','path':'/a','value':1}]",
            "{'b':2}                       | [{'op':'add','path':'/a','value':{'x':[1,2.50,1e100]}}]",
            "{'a':[]}                      | [{'op':'add','path':'/a/-','value':'x'}]",
            "{'a':[1]}                     | [{'op':'add','path':'/a/0','value':'x'}]",
            "{'a':'x'}                     | [{'op':'add','path':'/a','value':'longer'}]",
            "{'a':'x','b':[1,2]}           | [{'op':'replace','path':'/b/1','value':'two'}]",
            "{'a':'x'}                     | [{'op':'replace','path':'','value':{'a':'xy'}}]",
            "{'a':'x','b':'y'}             | [{'op':'remove','path':'/a'},{'op':'add','path':'/c','value':0}]",
            "{'a':[1,2,3]}                 | [{'op':'remove','path':'/a/1'},{'op':'add','path':'/a/-','value':0}]",
            "{'a':[1]}                     | [{'op':'remove','path':'/a/0'},{'op':'add','path':'/b','value':0}]",
            "{'a':'x'}                     | [{'op':'move','from':'/a','path':'/longer-name'}]",
            "{'a':[1,2],'b':[]}            | [{'op':'move','from':'/a/0','path':'/b/0'}]",
            "{'a':{'b':{'c':1}}}           | [{'op':'move','from':'/a/b','path':'/a'},{'op':'add','path':'/z','value':0}]",
            "{'a':{'b':'q'},'c':'long'}    | [{'op':'move','from':'/a','path':''},{'op':'add','path':'/z','value':0}]",
            "{'a':{'b':1},'c':{}}          | [{'op':'move','from':'/a','path':'/c/d'}]",
            "{'a':{'b':[1]}}               | [{'op':'copy','from':'/a','path':'/a/b/0'}]",
            "{'a':1}                       | [{'op':'copy','from':'','path':'/self'}]",
            "{'q\\\"uote':'\\u00e9\\u0001'} | [{'op':'copy','from':'/q\\\"uote','path':'/\\u00e9\\u0001\\ud83d\\ude00'}]",
    })
    void the_size_kept_is_exact_for_every_kind_of_change(String document, String patch) {
        String doc = document.strip().replace('\'', '"');
        String ops = patch.strip().replace('\'', '"');
        long size = FhirJson.bytes(apply(doc, ops, Long.MAX_VALUE, FhirJson.MAX_DEPTH)).length;
        assertThat(apply(doc, ops, size, FhirJson.MAX_DEPTH)).isNotNull();
        int last = json(ops).size() - 1;
        assertTooLarge(doc, ops, size - 1, last, "Patched resource too large", "makes it larger than " + (size - 1) + " bytes");
    }

    @Test
    void a_copy_of_the_root_into_itself_stops_at_the_limit_however_many_follow() {
        var patch = new StringBuilder("[");
        for (int i = 0; i < 10_000; i++) patch.append(i == 0 ? "" : ",").append("{\"op\":\"copy\",\"from\":\"\",\"path\":\"/c").append(i).append("\"}");
        String doc = "{\"a\":\"" + "x".repeat(1000) + "\"}";
        // about 1 kB, doubled by every copy: operation 6 would make it about 130 kB
        assertTooLarge(doc, patch + "]", 100_000, 6, "Patched resource too large");
    }

    @Test
    void copying_and_moving_deeper_are_bounded_in_all_even_when_the_document_is_not() {
        String doc = "{\"a\":\"" + "x".repeat(98) + "\",\"b\":{}}"; // the value at /a is 100 bytes
        var churn = new StringBuilder("[");
        for (int i = 0; i < 10; i++) {
            churn.append(i == 0 ? "" : ",").append("{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},{\"op\":\"remove\",\"path\":\"/c\"}");
        }
        assertThat(apply(doc, churn + "]", 1000, FhirJson.MAX_DEPTH)).isEqualTo(json(doc));
        assertTooLarge(doc, churn + ",{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]", 1000, 20,
                "JSON Patch too large", "copies or moves more than 1000 bytes in all");

        var moves = new StringBuilder("[");
        for (int i = 0; i < 11; i++) {
            moves.append(i == 0 ? "" : ",").append("{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b/a\"},{\"op\":\"move\",\"from\":\"/b/a\",\"path\":\"/a\"}");
        }
        assertTooLarge(doc, moves + "]", 1000, 20, "copies or moves more than 1000 bytes in all");
    }

    @Test
    void a_value_may_nest_exactly_as_deep_as_the_limit() {
        assertThat(apply("{\"a\":{}}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":[[]]}]", 1000, 4))
                .isEqualTo(json("{\"a\":{\"b\":[[]]}}"));
        assertThatThrownBy(() -> apply("{\"a\":{}}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":[[[]]]}]", 1000, 4))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.expression()).isEqualTo("[0]");
                    assertThat(e.text()).isEqualTo("Invalid JSON Patch: operation 0 failed: the result would be nested deeper than 4 levels");
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "[{'op':'copy','from':'/a','path':'/a/b/c'}]",
            "[{'op':'move','from':'/x','path':'/a/b/c'}]",
            "[{'op':'replace','path':'/a/b','value':[[1]]}]",
            "[{'op':'copy','from':'','path':'/a/b/c'}]"})
    void copies_moves_and_replaces_are_held_to_the_depth_limit(String patch) {
        assertThatThrownBy(() -> apply("{\"a\":{\"b\":{}},\"x\":{\"y\":{}}}", patch.replace('\'', '"'), 1000, 3))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.text()).contains("nested deeper than 3 levels"));
    }
}
