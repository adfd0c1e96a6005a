package dev.fhirhook.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
        assertThat(written).isEqualTo(json("""
                {"name":[{"given":["b"],"family":"A"},{"given":["c"],"family":"B"},{}],"birthDate":"1970","meta":{"tag":[1]}}"""));
    }

    @Test
    void restore_against_no_original_removes_the_field_as_on_create() {
        var written = json("{\"gender\":\"male\",\"name\":[{\"family\":\"X\",\"given\":[\"x\"]}]}");
        path("gender").restore(written, null);
        path("name.given").restore(written, null);
        assertThat(written).isEqualTo(json("{\"name\":[{\"family\":\"X\"}]}"));
    }
}
