package dev.fhirhook.fhir.fhirpath;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/** Every official R4 SearchParameter expression is within the supported subset and behaves on empty resources. */
class R4SearchParameterExpressionsTest {

    @Test
    void the_bundle_holds_the_official_r4_parameters() {
        assertThat(OfficialSearchParameters.ALL).hasSize(1375);
    }

    @Test
    void every_r4_search_parameter_expression_parses() {
        int withExpression = 0;
        int parsed = 0;
        var failures = new ArrayList<String>();
        for (JsonNode sp : OfficialSearchParameters.ALL) {
            String expression = sp.path("expression").asText("");
            if (expression.isBlank()) continue;
            withExpression++;
            try {
                FhirPath.parse(expression);
                parsed++;
            } catch (FhirPathException e) {
                failures.add(sp.path("url").asText() + ": " + e.getMessage());
            }
        }
        assertThat(failures).as("expressions that did not parse").isEmpty();
        assertThat(parsed).isEqualTo(withExpression).isEqualTo(1372); // _text, _content and _query have none
    }

    @Test
    void every_composite_component_expression_parses() {
        int components = 0;
        var failures = new ArrayList<String>();
        for (JsonNode sp : OfficialSearchParameters.ALL) {
            for (JsonNode component : sp.path("component")) {
                components++;
                try {
                    FhirPath.parse(component.path("expression").asText());
                } catch (FhirPathException e) {
                    failures.add(sp.path("url").asText() + ": " + e.getMessage());
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(components).isEqualTo(96);
    }

    /** A resource with nothing but its type: paths find nothing, so only whole-resource and boolean results remain. */
    @Test
    void every_expression_evaluates_on_a_bare_resource_of_each_base_without_error() {
        int evaluations = 0;
        var unexpected = new ArrayList<String>();
        for (JsonNode sp : OfficialSearchParameters.ALL) {
            String expression = sp.path("expression").asText("");
            if (expression.isBlank()) continue;
            FhirPath path = FhirPath.parse(expression);
            for (JsonNode base : sp.path("base")) {
                var resource = JsonNodeFactory.instance.objectNode().put("resourceType", base.asText());
                for (FhirPath.Item item : path.evaluate(resource)) {
                    boolean wholeResource = item.node() == resource && base.asText().equals(item.type());
                    boolean falseFlag = item.node().isBoolean() && !item.node().booleanValue();
                    if (!wholeResource && !falseFlag) unexpected.add(sp.path("url").asText() + " on " + base.asText() + ": " + item);
                }
                evaluations++;
            }
        }
        assertThat(unexpected).isEmpty();
        assertThat(evaluations).isGreaterThan(1372);
    }

    @Test
    void a_leading_type_name_selects_on_resource_type_in_every_multi_base_expression() {
        // clinical-patient names 32 types; on a Practitioner none of its branches may apply
        FhirPath patient = OfficialSearchParameters.expression("Observation", "patient");
        var practitioner = JsonNodeFactory.instance.objectNode().put("resourceType", "Practitioner");
        practitioner.putObject("subject").put("reference", "Patient/p1");
        practitioner.putObject("patient").put("reference", "Patient/p1");
        assertThat(patient.evaluate(practitioner)).isEmpty();
    }
}
