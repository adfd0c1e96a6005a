package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParameters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/**
 * The compartments of a resource, and the evaluations behind them, which the write hands to its index extraction
 * keyed by the very parameters the extraction walks (so that each expression runs once per write). Pure.
 */
class CompartmentsTest {
    private static final SearchParameters PARAMETERS = SearchParameters.load(ResourceTypes.load());
    private final Compartments compartments = new Compartments(PARAMETERS);

    @Test
    void an_invoice_is_in_its_patients_compartments_and_hands_on_its_three_evaluations() {
        var invoice = FhirJson.parse("""
                {"resourceType":"Invoice","status":"issued","subject":{"reference":"Patient/p1"},
                 "recipient":{"reference":"Patient/p2"},"participant":[{"actor":{"reference":"Practitioner/x"}}]}"""
                .getBytes(StandardCharsets.UTF_8));
        var computed = compartments.of("Invoice", "i1", "proj", invoice);
        assertThat(computed.compartments().findValuesAsText("reference"))
                .containsExactly("Project/proj", "Patient/p1", "Patient/p2");
        var walked = new ArrayList<SearchParam>();
        PARAMETERS.of("Invoice").forEach(walked::add);
        assertThat(computed.evaluated().keySet()).extracting(SearchParam::code)
                .containsExactlyInAnyOrder("subject", "patient", "recipient");
        for (SearchParam param : computed.evaluated().keySet()) {
            assertThat(walked).as(param.code()).anyMatch(p -> p == param); // the same instance, not an equal copy
        }
        assertThat(computed.evaluated().get(PARAMETERS.find("Invoice", "recipient").orElseThrow()))
                .extracting(item -> item.node().get("reference").asText()).containsExactly("Patient/p2");
    }
}
