package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Composite parameters: every component must match within the same item (the same Observation.component). */
class CompositeSearchTest {
    private static final String BP = """
            {"resourceType":"Observation","status":"final",
             "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
             "effectiveDateTime":"2024-05-06T10:00:00Z",
             "component":[
               {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
                "valueQuantity":{"value":150,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
               {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},
                "valueQuantity":{"value":90,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}""";

    @Test
    void token_and_quantity_components_must_match_in_the_same_component() {
        var fhir = FhirClient.inNewProject();
        String bp = fhir.create(BP);
        assertThat(fhir.ids("Observation", "component-code-value-quantity", "http://loinc.org|8480-6$gt140")).containsExactly(bp);
        assertThat(fhir.ids("Observation", "component-code-value-quantity", "http://loinc.org|8480-6$150||mm[Hg]")).containsExactly(bp);
        // 8480-6 is 150 and 8462-4 is 90: 8480-6 with 90 mixes two components and must not match
        assertThat(fhir.ids("Observation", "component-code-value-quantity", "http://loinc.org|8480-6$90")).isEmpty();
        assertThat(fhir.ids("Observation", "component-code-value-quantity", "http://loinc.org|8462-4$lt100")).containsExactly(bp);
        // OR between values, AND between repeated parameters
        assertThat(fhir.ids("Observation", "component-code-value-quantity", "http://loinc.org|8480-6$90,http://loinc.org|8462-4$90"))
                .containsExactly(bp);
        assertThat(fhir.ids("Observation", "component-code-value-quantity", "http://loinc.org|8480-6$gt140",
                "component-code-value-quantity", "http://loinc.org|8462-4$gt140")).isEmpty();
    }

    @Test
    void token_and_token_and_token_and_date_composites() {
        var fhir = FhirClient.inNewProject();
        String obs = fhir.create("""
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"72166-2"}]},
                 "valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"77176002"}]}}""");
        assertThat(fhir.ids("Observation", "code-value-concept", "http://loinc.org|72166-2$http://snomed.info/sct|77176002"))
                .containsExactly(obs);
        assertThat(fhir.ids("Observation", "code-value-concept", "72166-2$8517006")).isEmpty();
        String bp = fhir.create(BP);
        assertThat(fhir.ids("Observation", "code-value-date", "http://loinc.org|85354-9$2024-05-06")).isEmpty(); // effective is not value
        assertThat(fhir.ids("Observation", "code-value-concept:missing", "false")).containsExactly(obs);
        assertThat(fhir.ids("Observation", "code-value-concept:missing", "true")).containsExactly(bp);
    }

    @Test
    void a_composite_value_with_the_wrong_number_of_parts_or_a_bad_part_is_400() {
        var fhir = FhirClient.inNewProject();
        for (String bad : new String[] {"http://loinc.org|8480-6", "a$b$c", "http://loinc.org|8480-6$abc", "x$gt"}) {
            var reply = fhir.search("Observation", "component-code-value-quantity", bad);
            assertThat(reply.status()).as(bad).isEqualTo(400);
            assertThat(reply.outcomeText()).contains("component-code-value-quantity");
        }
        assertThat(fhir.search("Observation", "component-code-value-quantity:exact", "a$1").status()).isEqualTo(400);
    }
}
