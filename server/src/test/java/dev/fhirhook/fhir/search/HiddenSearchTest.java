package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParameters;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which parameters a hidden field forbids: the paths each reads, and when a read path meets a hidden one. */
class HiddenSearchTest {

    @Test
    void a_read_path_meets_a_hidden_field_when_either_lies_on_the_other() {
        assertThat(HiddenSearch.overlaps(List.of("name"), List.of("name", "family"))).isTrue();
        assertThat(HiddenSearch.overlaps(List.of("name", "family"), List.of("name"))).isTrue();
        assertThat(HiddenSearch.overlaps(List.of("name", "given"), List.of("name", "family"))).isFalse();
        assertThat(HiddenSearch.overlaps(List.of("deceased"), List.of("deceasedBoolean"))).isTrue();
        assertThat(HiddenSearch.overlaps(List.of("valueQuantity", "unit"), List.of("value"))).isTrue();
        assertThat(HiddenSearch.overlaps(List.of("status"), List.of("statusReason"))).isFalse();
        assertThat(HiddenSearch.overlaps(List.of("meta", "lastUpdated"), List.of("meta", "tag"))).isFalse();
    }

    @Test
    void composites_read_their_components_not_the_resource_they_group_by() {
        var parameters = SearchParameters.load(ResourceTypes.load());
        var codeValue = parameters.find("Observation", "code-value-quantity").orElseThrow();
        assertThat(HiddenSearch.reads(codeValue)).containsExactlyInAnyOrder(List.of("code"), List.of("value"));
        var component = parameters.find("Observation", "component-code-value-quantity").orElseThrow();
        assertThat(HiddenSearch.reads(component))
                .containsExactlyInAnyOrder(List.of("component", "code"), List.of("component", "value"));
    }

    @Test
    void every_r4_search_parameter_reads_named_elements_only() {
        // a parameter reading the whole resource would be refused to anyone with a hidden field on its type
        var types = ResourceTypes.load();
        var parameters = SearchParameters.load(types);
        var wholeResource = new ArrayList<String>();
        int checked = 0;
        for (String type : types.all()) {
            for (SearchParam param : parameters.of(type)) {
                checked++;
                var reads = HiddenSearch.reads(param);
                if (reads.isEmpty() || reads.stream().anyMatch(List::isEmpty)) wholeResource.add(type + "." + param.code());
            }
        }
        assertThat(checked).isGreaterThan(1000);
        assertThat(wholeResource).isEmpty();
    }
}
