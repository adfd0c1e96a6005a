package dev.fhirhook.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.FhirJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Hidden and read-only field paths: what they match, removal on read and restore on write. Pure. */
class FieldPathTest {
    private static ObjectNode json(String text) {
        return (ObjectNode) FhirJson.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static FieldPath path(String text) {
        return FieldPath.parse(text).orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "id", "resourceType", "a..b", ".a", "a.", "1a", "a b", "a.b.c.d.e.f.g.h.i.j.k", "name[0]", "a/b"})
    void a_path_that_is_not_a_field_or_would_hide_id_or_type_is_refused(String text) {
        assertThat(FieldPath.parse(text)).isEmpty();
    }

    @Test
    void removal_goes_through_objects_and_every_element_of_arrays() {
        var patient = json("""
                {"resourceType":"Patient","id":"1","birthDate":"1970","name":[{"family":"A","given":["a"]},{"family":"B"}],
                 "contact":[{"name":{"family":"C","text":"c"}}]}""");
        assertThat(path("name.family").removeFrom(patient)).isTrue();
        assertThat(path("contact.name.family").removeFrom(patient)).isTrue();
        assertThat(path("birthDate").removeFrom(patient)).isTrue();
        assertThat(path("telecom.value").removeFrom(patient)).isFalse();
        assertThat(patient).isEqualTo(json("""
                {"resourceType":"Patient","id":"1","name":[{"given":["a"]},{}],"contact":[{"name":{"text":"c"}}]}"""));
    }

    @Test
    void a_step_matches_the_choice_forms_of_its_element_but_not_other_elements_starting_alike() {
        var observation = json("""
                {"resourceType":"Observation","valueQuantity":{"value":1},"status":"final","statusReason":{"text":"x"}}""");
        path("value").removeFrom(observation);
        path("status").removeFrom(observation);
        assertThat(observation).isEqualTo(json("{\"resourceType\":\"Observation\",\"statusReason\":{\"text\":\"x\"}}"));
        var patient = json("{\"resourceType\":\"Patient\",\"deceasedDateTime\":\"2020\"}");
        path("deceased[x]").removeFrom(patient);
        assertThat(patient.has("deceasedDateTime")).isFalse();
    }

    @Test
    void restore_puts_back_the_original_value_and_removes_what_the_writer_added() {
        var original = json("{\"birthDate\":\"1970\",\"name\":[{\"family\":\"A\",\"given\":[\"a\"]},{\"family\":\"B\"}],\"meta\":{\"tag\":[1]}}");
        var written = json("{\"name\":[{\"family\":\"X\",\"given\":[\"b\"]},{\"given\":[\"c\"]},{\"family\":\"Z\"}]}");
        path("birthDate").restore(written, original);
        path("name.family").restore(written, original);
        path("meta.tag").restore(written, original);
        // {"family":"Z"} shows what B shows apart from the protected field, so it is B; {"given":["c"]} was added
        assertThat(written).isEqualTo(json("""
                {"name":[{"given":["b"],"family":"A"},{"given":["c"]},{"family":"B"}],"birthDate":"1970","meta":{"tag":[1]}}"""));
    }

    @Test
    void restore_follows_elements_the_writer_moved() {
        var original = json("{\"name\":[{\"family\":\"A\",\"given\":[\"a\"]},{\"family\":\"B\",\"given\":[\"b\"]}]}");
        var written = json("{\"name\":[{\"family\":\"B\"},{\"family\":\"A\"}]}");
        path("name.given").restore(written, original);
        assertThat(written).isEqualTo(json("{\"name\":[{\"family\":\"B\",\"given\":[\"b\"]},{\"family\":\"A\",\"given\":[\"a\"]}]}"));
    }

    @Test
    void restore_pairs_edited_elements_in_order_and_gives_an_added_one_nothing() {
        var both = json("{\"name\":[{\"family\":\"X\"},{\"family\":\"Y\"}]}");
        path("name.given").restore(both, json("{\"name\":[{\"family\":\"A\",\"given\":[\"a\"]},{\"family\":\"B\",\"given\":[\"b\"]}]}"));
        assertThat(both).isEqualTo(json("{\"name\":[{\"family\":\"X\",\"given\":[\"a\"]},{\"family\":\"Y\",\"given\":[\"b\"]}]}"));

        var original = json("{\"name\":[{\"family\":\"A\",\"given\":[\"a\"]}]}");
        var written = json("{\"name\":[{\"family\":\"A2\"},{\"family\":\"C\",\"given\":[\"injected\"]}]}");
        path("name.given").restore(written, original);
        assertThat(written).isEqualTo(json("{\"name\":[{\"family\":\"A2\",\"given\":[\"a\"]},{\"family\":\"C\"}]}"));
    }

    @Test
    void removing_an_element_without_a_protected_value_is_allowed() {
        var original = json("{\"name\":[{\"family\":\"A\",\"given\":[\"a\"]},{\"family\":\"B\"}]}");
        var written = json("{\"name\":[{\"family\":\"A\"}]}");
        path("name.given").restore(written, original);
        assertThat(written).isEqualTo(json("{\"name\":[{\"family\":\"A\",\"given\":[\"a\"]}]}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"name\":[{\"family\":\"B\"}]}", "{\"name\":[]}", "{}"})
    void removing_an_element_that_holds_a_protected_value_is_refused(String writtenJson) {
        var original = json("{\"name\":[{\"family\":\"A\",\"given\":[\"a\"]},{\"family\":\"B\",\"given\":[\"b\"]}]}");
        var written = json(writtenJson);
        assertThatThrownBy(() -> path("name.given").restore(written, original))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.text()).startsWith("Cannot remove name[0]").contains("name.given");
                });
    }

    @Test
    void a_primitive_s_underscore_sibling_goes_with_it() {
        var patient = json("""
                {"birthDate":"1990","_birthDate":{"extension":[{"url":"birthTime","valueDateTime":"1990-01-01T08:30:00Z"}]},
                 "name":[{"family":"Secret","_family":{"extension":[{"url":"own-name","valueString":"Secret"}]},"given":["A"]}]}""");
        var original = patient.deepCopy();
        path("birthDate").removeFrom(patient);
        path("name.family").removeFrom(patient);
        assertThat(patient).isEqualTo(json("{\"name\":[{\"given\":[\"A\"]}]}"));
        var written = json("{\"_birthDate\":{\"id\":\"x\"},\"name\":[{\"given\":[\"A\"],\"_family\":{\"id\":\"y\"}}]}");
        path("birthDate").restore(written, original);
        path("name.family").restore(written, original);
        assertThat(written).isEqualTo(original);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"name\":\"x\"}", "{\"name\":true}", "{\"name\":{\"given\":[\"A\"]}}", "{\"name\":[\"x\"]}"})
    void a_value_of_another_shape_cannot_replace_one_that_holds_a_protected_value(String writtenJson) {
        var original = json("{\"name\":[{\"family\":\"Secret\",\"given\":[\"A\"]}]}");
        var written = json(writtenJson);
        assertThatThrownBy(() -> path("name.family").restore(written, original))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(403);
                    assertThat(e.text()).containsAnyOf("Cannot replace name", "Cannot remove name[0]");
                });
        // with nothing protected in it, the value may change shape (what it may be is the validator's business)
        var plain = json(writtenJson);
        path("name.family").restore(plain, json("{\"name\":[{\"given\":[\"A\"]}]}"));
        assertThat(plain).isEqualTo(json(writtenJson));
    }

    @Test
    void elements_are_paired_at_every_level_of_nested_arrays() {
        var original = json("""
                {"contact":[{"name":{"text":"c1"},"telecom":[{"system":"phone","value":"111"},{"system":"email","value":"a@x"}]},
                            {"name":{"text":"c2"},"telecom":[{"system":"phone","value":"222"}]}]}""");
        var written = json("""
                {"contact":[{"name":{"text":"c2"},"telecom":[{"system":"phone"}]},
                            {"name":{"text":"c1"},"telecom":[{"system":"email"},{"system":"phone"}]}]}""");
        path("contact.telecom.value").restore(written, original);
        assertThat(written).isEqualTo(json("""
                {"contact":[{"name":{"text":"c2"},"telecom":[{"system":"phone","value":"222"}]},
                            {"name":{"text":"c1"},"telecom":[{"system":"email","value":"a@x"},{"system":"phone","value":"111"}]}]}"""));
    }

    @Test
    void restore_against_no_original_removes_the_field_as_on_create() {
        var written = json("{\"gender\":\"male\",\"name\":[{\"family\":\"X\",\"given\":[\"x\"]}]}");
        path("gender").restore(written, null);
        path("name.given").restore(written, null);
        assertThat(written).isEqualTo(json("{\"name\":[{\"family\":\"X\"}]}"));
    }
}
