package dev.fhirhook.fhir.fhirpath;

import static dev.fhirhook.fhir.fhirpath.Json.at;
import static dev.fhirhook.fhir.fhirpath.Json.bool;
import static dev.fhirhook.fhir.fhirpath.Json.json;
import static dev.fhirhook.fhir.fhirpath.Json.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.fhirpath.FhirPath.Item;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The operators and functions one by one, on small resources. */
class FhirPathTest {
    static final JsonNode PATIENT = json("""
            {
              "resourceType": "Patient",
              "id": "p1",
              "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "Utrecht"}},
                {"url": "http://example.org/nickname", "valueString": "Pete"},
                {"url": "http://example.org/nickname", "valueString": "PJ"}
              ],
              "identifier": [{"system": "urn:a", "value": "1"}, {"system": "urn:a", "value": "1"}, {"system": "urn:b", "value": "2"}],
              "active": true,
              "name": [
                {"family": "Chalmers", "given": ["Peter", "James"]},
                {"given": ["Jim"]},
                {"family": "Windsor", "given": []}
              ],
              "telecom": [{"system": "phone", "value": "555"}, {"system": "email", "value": "p@example.org"}],
              "gender": "male",
              "_gender": {"extension": [{"url": "http://example.org/ext", "valueString": "x"}]},
              "link": [{"other": {"reference": "Patient/p0"}, "type": "seealso"}]
            }
            """);

    static List<Item> eval(String expression, JsonNode resource) {
        return FhirPath.parse(expression).evaluate(resource);
    }

    // ---- Navigation

    @Test
    void a_path_flattens_arrays_in_document_order() {
        assertThat(eval("Patient.name.given", PATIENT)).containsExactly(text("Peter"), text("James"), text("Jim"));
    }

    @Test
    void missing_fields_and_empty_arrays_yield_nothing() {
        assertThat(eval("Patient.contact.name", PATIENT)).isEmpty();
        assertThat(eval("Patient.name[2].given", PATIENT)).isEmpty();
        assertThat(eval("Patient.gender.value", PATIENT)).as("a primitive has no children here").isEmpty();
    }

    @Test
    void primitive_extensions_in_underscore_fields_are_ignored() {
        var onlyExtension = json("""
                {"resourceType": "Patient", "_birthDate": {"extension": [{"url": "http://e", "valueString": "x"}]},
                 "name": [{"given": ["Ann", null], "_given": [null, {"extension": [{"url": "http://e", "valueString": "y"}]}]}]}""");
        assertThat(eval("Patient.birthDate", onlyExtension)).isEmpty();
        assertThat(eval("Patient._birthDate", onlyExtension)).isEmpty();
        assertThat(eval("Patient.birthDate.extension", onlyExtension)).isEmpty();
        assertThat(eval("Patient.name.given", onlyExtension)).containsExactly(text("Ann"));
        assertThat(eval("Patient.gender", PATIENT)).containsExactly(text("male"));
    }

    @Test
    void a_choice_element_is_found_by_type_suffix_and_typed_by_it() {
        var observation = json("""
                {"resourceType": "Observation", "valueQuantity": {"value": 1.5, "unit": "mg"},
                 "effectiveDateTime": "2024-01-01", "component": [{"valueString": "a"}, {"valueBoolean": false}]}""");
        assertThat(eval("Observation.value", observation)).containsExactly(at(observation, "/valueQuantity", "Quantity"));
        assertThat(eval("Observation.effective", observation)).containsExactly(text("2024-01-01", "dateTime"));
        assertThat(eval("Observation.component.value", observation)).containsExactly(text("a", "string"), bool(false));
    }

    @Test
    void a_field_whose_suffix_is_not_a_type_is_not_a_choice() {
        var resource = json("""
                {"resourceType": "Questionnaire", "item": [{"answerValueSet": "http://vs", "answerOption": [{"valueCoding": {"code": "a"}}]}]}""");
        assertThat(eval("Questionnaire.item.answer", resource)).isEmpty();
        assertThat(eval("Questionnaire.item.answerOption.value", resource))
                .containsExactly(at(resource, "/item/0/answerOption/0/valueCoding", "Coding"));
    }

    @Test
    void a_leading_type_name_selects_on_resource_type() {
        var account = json("""
                {"resourceType": "Account", "subject": [{"reference": "Patient/p1"}], "name": "x"}""");
        assertThat(eval("Patient.name", account)).isEmpty();
        var multiBase = FhirPath.parse("Account.subject | Patient.link.other");
        assertThat(multiBase.evaluate(account)).containsExactly(at(account, "/subject/0", null));
        assertThat(multiBase.evaluate(PATIENT)).containsExactly(at(PATIENT, "/link/0/other", null));
    }

    @Test
    void resource_matches_every_resource_and_domain_resource_all_but_bundle_binary_and_parameters() {
        var bundle = json("""
                {"resourceType": "Bundle", "id": "b1", "type": "collection"}""");
        assertThat(eval("Resource.id", PATIENT)).containsExactly(text("p1"));
        assertThat(eval("Resource.id", bundle)).containsExactly(text("b1"));
        assertThat(eval("DomainResource.id", PATIENT)).containsExactly(text("p1"));
        assertThat(eval("DomainResource.id", bundle)).isEmpty();
    }

    @Test
    void a_path_starting_with_an_element_name_starts_at_the_resource() {
        var plan = json("""
                {"resourceType": "InsurancePlan", "name": "Gold", "alias": ["Au", "Premium"]}""");
        assertThat(eval("name | alias", plan)).containsExactly(text("Gold"), text("Au"), text("Premium"));
        assertThat(eval("$this", plan)).containsExactly(new Item(plan, "InsurancePlan"));
    }

    @Test
    void contained_and_bundled_resources_carry_their_own_type() {
        var bundle = json("""
                {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "a"}},
                                                    {"resource": {"resourceType": "Observation", "id": "b"}}]}""");
        assertThat(eval("Bundle.entry.resource.ofType(Observation).id", bundle)).containsExactly(text("b"));
        assertThat(eval("Bundle.entry.resource", bundle)).extracting(Item::type).containsExactly("Patient", "Observation");
    }

    // ---- Functions

    @Test
    void where_filters_with_an_implied_and_an_explicit_this() {
        assertThat(eval("Patient.telecom.where(system = 'email')", PATIENT)).containsExactly(at(PATIENT, "/telecom/1", null));
        assertThat(eval("Patient.telecom.where($this.system = 'phone')", PATIENT)).containsExactly(at(PATIENT, "/telecom/0", null));
        assertThat(eval("Patient.name.given.where($this = 'Jim')", PATIENT)).containsExactly(text("Jim"));
    }

    @Test
    void where_keeps_items_whose_criteria_is_a_single_non_boolean_and_drops_empty_ones() {
        assertThat(eval("Patient.name.where(family)", PATIENT))
                .containsExactly(at(PATIENT, "/name/0", null), at(PATIENT, "/name/2", null));
    }

    @Test
    void where_criteria_with_several_items_is_an_error_at_the_where() {
        assertThatThrownBy(() -> eval("Patient.name.where(given)", PATIENT))
                .isInstanceOf(FhirPathException.class)
                .hasMessageContaining("expected a single boolean but got 2 items")
                .extracting(e -> ((FhirPathException) e).position()).isEqualTo(13);
    }

    @Test
    void exists_empty_and_not() {
        assertThat(eval("Patient.name.exists()", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.contact.exists()", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.telecom.exists(system = 'fax')", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.telecom.exists(system = 'email')", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.contact.empty()", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.active.not()", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.deceased.not()", PATIENT)).isEmpty();
    }

    @Test
    void first_and_indexers_pick_by_position() {
        assertThat(eval("Patient.name.given.first()", PATIENT)).containsExactly(text("Peter"));
        assertThat(eval("Patient.name.given[1]", PATIENT)).containsExactly(text("James"));
        assertThat(eval("Patient.name[1].given", PATIENT)).containsExactly(text("Jim"));
        assertThat(eval("Patient.name.given[3]", PATIENT)).isEmpty();
        assertThat(eval("Patient.contact.first()", PATIENT)).isEmpty();
    }

    @Test
    void extension_selects_by_url() {
        assertThat(eval("Patient.extension('http://example.org/nickname').value", PATIENT))
                .containsExactly(text("Pete", "string"), text("PJ", "string"));
        assertThat(eval("Patient.extension('http://hl7.org/fhir/StructureDefinition/patient-birthPlace').value.city", PATIENT))
                .containsExactly(text("Utrecht"));
        assertThat(eval("Patient.extension('http://example.org/unknown')", PATIENT)).isEmpty();
        assertThat(eval("Patient.gender.extension('http://example.org/ext')", PATIENT))
                .as("primitive extensions live in _gender, which is not read").isEmpty();
    }

    @Test
    void as_and_of_type_keep_the_items_of_the_type_in_function_and_operator_form() {
        var observation = json("""
                {"resourceType": "Observation", "component": [
                  {"valueQuantity": {"value": 1}}, {"valueString": "x"}, {"valueQuantity": {"value": 2}}, {"valueAge": {"value": 3}}]}""");
        List<Item> quantities = List.of(
                at(observation, "/component/0/valueQuantity", "Quantity"), at(observation, "/component/2/valueQuantity", "Quantity"));
        assertThat(eval("Observation.component.value.as(Quantity)", observation)).isEqualTo(quantities);
        assertThat(eval("Observation.component.value.ofType(Quantity)", observation)).isEqualTo(quantities);
        assertThat(eval("(Observation.component.value as Quantity)", observation)).isEqualTo(quantities);
        assertThat(eval("Observation.component.value as FHIR.Quantity", observation)).isEqualTo(quantities);
        assertThat(eval("Observation.component.value.as(Age)", observation))
                .as("exact types: an Age is not taken as a Quantity").containsExactly(at(observation, "/component/3/valueAge", "Age"));
        assertThat(eval("Observation.component.value.as(System.Quantity)", observation)).hasSize(3);
    }

    @Test
    void system_type_names_match_the_fhir_primitives_that_convert_to_them() {
        var resource = json("""
                {"resourceType": "Observation", "component": [
                  {"valueString": "a"}, {"valueDateTime": "2024"}, {"valueInteger": 3}, {"valueBoolean": true}, {"valueTime": "10:00"}]}""");
        assertThat(eval("Observation.component.value.ofType(String)", resource)).containsExactly(text("a", "string"));
        assertThat(eval("Observation.component.value.ofType(System.DateTime)", resource)).containsExactly(text("2024", "dateTime"));
        assertThat(eval("Observation.component.value.ofType(FHIR.dateTime)", resource)).containsExactly(text("2024", "dateTime"));
        assertThat(eval("Observation.component.value.ofType(Integer)", resource)).containsExactly(new Item(IntNode.valueOf(3), "integer"));
        assertThat(eval("Observation.component.value.ofType(Boolean)", resource)).containsExactly(bool(true));
        assertThat(eval("Observation.component.value.ofType(time)", resource)).containsExactly(text("10:00", "time"));
    }

    @Test
    void items_of_unknown_type_never_match_a_type() {
        assertThat(eval("Patient.name.as(HumanName)", PATIENT)).isEmpty();
        assertThat(eval("Patient.gender.ofType(code)", PATIENT)).isEmpty();
        assertThat(eval("Patient.active.ofType(boolean)", PATIENT)).as("JSON booleans are always FHIR boolean")
                .containsExactly(bool(true));
    }

    @Test
    void is_tests_the_single_item_in_function_and_operator_form() {
        var observation = json("""
                {"resourceType": "Observation", "valueQuantity": {"value": 1}, "component": [{"valueString": "a"}, {"valueString": "b"}]}""");
        assertThat(eval("Observation.value is Quantity", observation)).containsExactly(bool(true));
        assertThat(eval("Observation.value.is(Quantity)", observation)).containsExactly(bool(true));
        assertThat(eval("Observation.value is Period", observation)).containsExactly(bool(false));
        assertThat(eval("Observation.code is CodeableConcept", observation)).isEmpty();
        assertThat(eval("Observation is Observation", observation)).containsExactly(bool(true));
        assertThatThrownBy(() -> eval("Observation.component.value is string", observation))
                .isInstanceOf(FhirPathException.class).hasMessageContaining("'is' needs a single item but got 2");
    }

    // ---- Resolve

    private List<Item> resolve(String reference) {
        var account = JsonNodeFactory.instance.objectNode().put("resourceType", "Account");
        account.putObject("owner").put("reference", reference);
        return eval("Account.owner.resolve()", account);
    }

    private static Item stub(String type, String id) {
        return new Item(JsonNodeFactory.instance.objectNode().put("resourceType", type).put("id", id), type);
    }

    @Test
    void a_relative_or_absolute_literal_reference_becomes_a_stub_of_its_type() {
        assertThat(resolve("Patient/p1")).containsExactly(stub("Patient", "p1"));
        assertThat(resolve("https://fhir.example.org/r4/Patient/p1")).containsExactly(stub("Patient", "p1"));
        assertThat(resolve("Practitioner/dr-1/_history/4")).containsExactly(stub("Practitioner", "dr-1"));
        assertThat(resolve("http://x.org/fhir/Organization/o.1/_history/2")).containsExactly(stub("Organization", "o.1"));
    }

    @Test
    void references_without_a_type_and_id_resolve_to_nothing() {
        assertThat(resolve("urn:uuid:8b4e5a6c-1f0d-4c2a-9a38-5c6f3e7b9d10")).isEmpty();
        assertThat(resolve("Patient?identifier=urn:a|1")).isEmpty();
        assertThat(resolve("patient/p1")).isEmpty();
        assertThat(resolve("Patient/")).isEmpty();
        assertThat(resolve("p1")).isEmpty();
        assertThat(resolve("#missing")).isEmpty();
        var identifierOnly = json("""
                {"resourceType": "Account", "owner": {"identifier": {"system": "urn:a", "value": "1"}}}""");
        assertThat(eval("Account.owner.resolve()", identifierOnly)).isEmpty();
    }

    @Test
    void a_local_reference_resolves_to_the_contained_resource() {
        var request = json("""
                {"resourceType": "MedicationRequest",
                 "contained": [{"resourceType": "Medication", "id": "med1", "code": {"text": "Amoxicillin"}}],
                 "medicationReference": {"reference": "#med1"}}""");
        assertThat(eval("MedicationRequest.medication.resolve()", request)).containsExactly(at(request, "/contained/0", "Medication"));
        assertThat(eval("MedicationRequest.medication.resolve().code.text", request)).containsExactly(text("Amoxicillin"));
        assertThat(eval("MedicationRequest.medication.where(resolve() is Medication)", request))
                .containsExactly(at(request, "/medicationReference", "Reference"));
    }

    @Test
    void resolve_is_type_keeps_references_to_that_type() {
        var appointment = json("""
                {"resourceType": "Appointment", "participant": [
                  {"actor": {"reference": "Patient/p1"}}, {"actor": {"reference": "Practitioner/dr-1"}},
                  {"actor": {"reference": "Location/l1"}}, {"actor": {"display": "someone"}}]}""");
        assertThat(eval("Appointment.participant.actor.where(resolve() is Practitioner)", appointment))
                .containsExactly(at(appointment, "/participant/1/actor", null));
        assertThat(eval("Appointment.participant.actor.resolve().id", appointment))
                .containsExactly(text("p1"), text("dr-1"), text("l1"));
    }

    @Test
    void a_canonical_string_resolves_without_its_version() {
        var library = json("""
                {"resourceType": "Library", "relatedArtifact": [{"resource": "http://example.org/fhir/Library/helpers|1.0"}]}""");
        assertThat(eval("Library.relatedArtifact.resource.resolve()", library)).containsExactly(stub("Library", "helpers"));
    }

    // ---- Operators

    @Test
    void equality_compares_values_of_the_same_kind() {
        assertThat(eval("Patient.gender = 'male'", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.gender = 'female'", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.gender != 'female'", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.active = true", PATIENT)).containsExactly(bool(true));
        assertThat(eval("1 = 1.0", PATIENT)).containsExactly(bool(true));
        assertThat(eval("1 = '1'", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.active != false", PATIENT)).containsExactly(bool(true));
    }

    @Test
    void equality_with_an_empty_side_is_empty_and_collections_compare_in_order() {
        assertThat(eval("Patient.birthDate = '2000-01-01'", PATIENT)).isEmpty();
        assertThat(eval("Patient.birthDate != '2000-01-01'", PATIENT)).isEmpty();
        assertThat(eval("Patient.name.given = 'Peter'", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.name[0].given = Patient.name.given[0] | Patient.name.given[1]", PATIENT))
                .containsExactly(bool(true));
    }

    @Test
    void equality_of_complex_values_is_member_by_member() {
        assertThat(eval("Patient.identifier[0] = Patient.identifier[1]", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.identifier[0] = Patient.identifier[2]", PATIENT)).containsExactly(bool(false));
    }

    @Test
    void and_and_or_are_three_valued() {
        // Patient.deceased is absent: an empty operand is "unknown"
        assertThat(eval("Patient.deceased and true", PATIENT)).isEmpty();
        assertThat(eval("Patient.deceased and false", PATIENT)).containsExactly(bool(false));
        assertThat(eval("false and Patient.deceased", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.deceased or true", PATIENT)).containsExactly(bool(true));
        assertThat(eval("Patient.deceased or false", PATIENT)).isEmpty();
        assertThat(eval("true and true", PATIENT)).containsExactly(bool(true));
        assertThat(eval("false or false", PATIENT)).containsExactly(bool(false));
        assertThat(eval("Patient.gender = 'male' and Patient.active", PATIENT)).containsExactly(bool(true));
    }

    @Test
    void a_boolean_operator_on_several_items_is_an_error() {
        assertThatThrownBy(() -> eval("Patient.name.given and true", PATIENT))
                .isInstanceOf(FhirPathException.class).hasMessageContaining("got 3 items");
    }

    @Test
    void union_keeps_order_and_removes_duplicates_by_value() {
        assertThat(eval("Patient.name.given | Patient.name.given", PATIENT)).containsExactly(text("Peter"), text("James"), text("Jim"));
        assertThat(eval("Patient.identifier | Patient.identifier", PATIENT))
                .containsExactly(at(PATIENT, "/identifier/0", null), at(PATIENT, "/identifier/2", null));
        assertThat(eval("1 | 1.0 | 2", PATIENT)).containsExactly(
                new Item(IntNode.valueOf(1), "integer"), new Item(IntNode.valueOf(2), "integer"));
    }

    @Test
    void precedence_is_as_over_union_over_equality_over_and_over_or() {
        var observation = json("""
                {"resourceType": "Observation", "code": {"text": "c"}, "valueQuantity": {"value": 1}}""");
        assertThat(eval("Observation.code | Observation.value as Quantity", observation))
                .containsExactly(at(observation, "/code", null), at(observation, "/valueQuantity", "Quantity"));
        assertThat(eval("Patient.gender | Patient.gender = 'male'", PATIENT)).containsExactly(bool(true));
        assertThat(eval("false and false or true", PATIENT)).containsExactly(bool(true));
        assertThat(eval("true or false and false", PATIENT)).containsExactly(bool(true));
        assertThat(eval("(true or false) and false", PATIENT)).containsExactly(bool(false));
    }

    @Test
    void literals_and_escapes() {
        assertThat(eval("'it\\'s \\u00e9t\\u00E9\\n'", PATIENT)).containsExactly(text("it's été\n", "string"));
        assertThat(eval("2.50", PATIENT)).containsExactly(new Item(DecimalNode.valueOf(new BigDecimal("2.50")), "decimal"));
        assertThat(eval("Patient.`name`.given[0]", PATIENT)).containsExactly(text("Peter"));
        assertThat(eval("Patient.name /* a comment */ .family // to the end", PATIENT))
                .containsExactly(text("Chalmers"), text("Windsor"));
    }

    // ---- Variables

    @Test
    void percent_resource_is_the_evaluated_resource_and_percent_context_the_focus() {
        assertThat(eval("Patient.link.where(%resource.id = 'p1').type", PATIENT)).containsExactly(text("seealso"));
        assertThat(eval("%rootResource.gender", PATIENT)).containsExactly(text("male"));
        var path = FhirPath.parse("%context.system | %resource.id");
        Item telecom = at(PATIENT, "/telecom/1", null);
        assertThat(path.evaluate(telecom, PATIENT)).containsExactly(text("email"), text("p1"));
    }

    @Test
    void a_relative_expression_runs_on_the_given_focus() {
        var path = FhirPath.parse("value.as(Quantity)");
        var component = json("""
                {"code": {"text": "x"}, "valueQuantity": {"value": 3}}""");
        assertThat(path.evaluate(new Item(component, null), PATIENT))
                .containsExactly(new Item(component.get("valueQuantity"), "Quantity"));
    }

    // ---- Robustness

    private static ObjectNode deeplyNested(int depth) {
        var root = JsonNodeFactory.instance.objectNode().put("resourceType", "Basic");
        ObjectNode current = root;
        for (int i = 0; i < depth; i++) current = current.putObject("a");
        current.put("leaf", "x");
        return root;
    }

    @Test
    void deeply_nested_json_is_compared_and_deduplicated_without_recursion() {
        var first = deeplyNested(50_000);
        var second = deeplyNested(50_000);
        first.set("b", second.get("a"));
        assertThat(eval("Basic.a = Basic.b", first)).containsExactly(bool(true));
        assertThat(eval("Basic.a | Basic.b", first)).hasSize(1);
        assertThat(eval("Basic.a.a.a.a.exists()", first)).containsExactly(bool(true));
    }

    @Test
    void a_parsed_expression_gives_the_same_results_on_many_threads() throws Exception {
        FhirPath path = FhirPath.parse("Patient.telecom.where(system = 'email') | Patient.name.given | Patient.link.other.where(resolve() is Patient)");
        List<Item> expected = path.evaluate(PATIENT);
        assertThat(expected).hasSize(5);
        try (var pool = Executors.newFixedThreadPool(8)) {
            var tasks = new ArrayList<Callable<Boolean>>();
            for (int t = 0; t < 8; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        if (!path.evaluate(PATIENT).equals(expected)) return false;
                    }
                    return true;
                });
            }
            for (var result : pool.invokeAll(tasks)) assertThat(result.get()).isTrue();
        }
    }

    @Test
    void results_are_immutable() {
        List<Item> items = eval("Patient.name", PATIENT);
        assertThatThrownBy(() -> items.add(text("x"))).isInstanceOf(UnsupportedOperationException.class);
    }
}
