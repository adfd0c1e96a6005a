package dev.fhirhook.fhir.search;

import static dev.fhirhook.fhir.search.FhirClient.included;
import static dev.fhirhook.fhir.search.FhirClient.link;
import static dev.fhirhook.fhir.search.FhirClient.matchIds;
import static dev.fhirhook.fhir.search.FhirClient.relative;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** FHIR search through HTTP: every parameter type, modifier and prefix, and the result parameters. */
class SearchTest {

    // --- token ------------------------------------------------------------------------------------

    @Test
    void token_matches_code_system_and_code_missing_system_and_system_only() {
        var fhir = FhirClient.inNewProject();
        String mrn = fhir.create("""
                {"resourceType":"Patient","identifier":[{"system":"http://hospital.example/mrn","value":"A-1"}]}""");
        String bare = fhir.create("""
                {"resourceType":"Patient","identifier":[{"value":"A-1"}]}""");
        String other = fhir.create("""
                {"resourceType":"Patient","identifier":[{"system":"http://other.example/ids","value":"B-2"}]}""");

        assertThat(fhir.ids("Patient", "identifier", "A-1")).containsExactlyInAnyOrder(mrn, bare);
        assertThat(fhir.ids("Patient", "identifier", "http://hospital.example/mrn|A-1")).containsExactly(mrn);
        assertThat(fhir.ids("Patient", "identifier", "|A-1")).containsExactly(bare);
        assertThat(fhir.ids("Patient", "identifier", "http://other.example/ids|")).containsExactly(other);
        assertThat(fhir.ids("Patient", "identifier", "http://other.example/ids|A-1")).isEmpty();
        assertThat(fhir.ids("Patient", "identifier", "a-1")).as("codes are case-sensitive").isEmpty();
    }

    @Test
    void token_on_codes_booleans_codeable_concepts_contact_points_and_meta() {
        var fhir = FhirClient.inNewProject();
        String male = fhir.create("""
                {"resourceType":"Patient","gender":"male","active":true,
                 "telecom":[{"system":"email","value":"ann@example.org"},{"system":"phone","value":"+1 555 0100"}],
                 "meta":{"tag":[{"system":"http://example.org/tags","code":"urgent"}],
                         "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}}""");
        String female = fhir.create("""
                {"resourceType":"Patient","gender":"female","active":false,
                 "meta":{"tag":[{"system":"http://example.org/tags","code":"routine"}]}}""");
        String glucose = fhir.create("""
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose"}]},
                 "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]}}]}""");

        assertThat(fhir.ids("Patient", "gender", "male")).containsExactly(male);
        assertThat(fhir.ids("Patient", "active", "true")).containsExactly(male);
        assertThat(fhir.ids("Patient", "active", "false")).containsExactly(female);
        assertThat(fhir.ids("Patient", "email", "ann@example.org")).containsExactly(male);
        assertThat(fhir.ids("Patient", "telecom", "+1 555 0100")).containsExactly(male);
        assertThat(fhir.ids("Patient", "_tag", "http://example.org/tags|urgent")).containsExactly(male);
        assertThat(fhir.ids("Patient", "_tag", "routine")).containsExactly(female);
        assertThat(fhir.ids("Patient", "_security", "R")).containsExactly(male);
        assertThat(fhir.ids("Observation", "code", "http://loinc.org|2339-0")).containsExactly(glucose);
        assertThat(fhir.ids("Observation", "code", "http://snomed.info/sct|2339-0")).isEmpty();
        assertThat(fhir.ids("Observation", "component-code", "8480-6")).containsExactly(glucose);
    }

    @Test
    void token_not_excludes_matches_and_keeps_resources_without_a_value() {
        var fhir = FhirClient.inNewProject();
        String male = fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"male\"}");
        String female = fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"female\"}");
        String unknown = fhir.create("{\"resourceType\":\"Patient\"}");

        assertThat(fhir.ids("Patient", "gender:not", "male")).containsExactlyInAnyOrder(female, unknown);
        assertThat(fhir.ids("Patient", "gender:not", "male,female")).containsExactly(unknown);
        assertThat(fhir.ids("Patient", "_id:not", male)).containsExactlyInAnyOrder(female, unknown);
    }

    @Test
    void token_missing_true_and_false() {
        var fhir = FhirClient.inNewProject();
        String male = fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"male\"}");
        String unknown = fhir.create("{\"resourceType\":\"Patient\"}");

        assertThat(fhir.ids("Patient", "gender:missing", "true")).containsExactly(unknown);
        assertThat(fhir.ids("Patient", "gender:missing", "false")).containsExactly(male);
        assertThat(fhir.ids("Patient", "family:missing", "true")).containsExactlyInAnyOrder(male, unknown);
    }

    @Test
    void missing_works_on_every_parameter_type() {
        var fhir = FhirClient.inNewProject();
        String full = fhir.create("""
                {"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p"},
                 "effectiveDateTime":"2024-01-01","valueQuantity":{"value":1,"code":"mg"}}""");
        String empty = fhir.create("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}");
        String withUrl = valueSet(fhir, "http://acme.org/vs");
        String withoutUrl = fhir.create("{\"resourceType\":\"ValueSet\",\"status\":\"active\"}");
        String named = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"N\"}]}");
        String unnamed = fhir.create("{\"resourceType\":\"Patient\"}");
        String risky = risk(fhir, "0.5");
        String unrated = fhir.create("{\"resourceType\":\"RiskAssessment\",\"status\":\"final\",\"subject\":{\"reference\":\"Patient/p\"}}");

        for (String param : List.of("subject", "date", "value-quantity")) {
            assertThat(fhir.ids("Observation", param + ":missing", "true")).as(param).containsExactly(empty);
            assertThat(fhir.ids("Observation", param + ":missing", "false")).as(param).containsExactly(full);
        }
        assertThat(fhir.ids("ValueSet", "url:missing", "true")).containsExactly(withoutUrl);
        assertThat(fhir.ids("ValueSet", "url:missing", "false")).containsExactly(withUrl);
        assertThat(fhir.ids("Patient", "name:missing", "true")).containsExactly(unnamed);
        assertThat(fhir.ids("Patient", "name:missing", "false")).containsExactly(named);
        assertThat(fhir.ids("RiskAssessment", "probability:missing", "true")).containsExactly(unrated);
        assertThat(fhir.ids("RiskAssessment", "probability:missing", "false")).containsExactly(risky);
    }

    @Test
    void token_text_searches_display_and_concept_text_ignoring_case_and_accents() {
        var fhir = FhirClient.inNewProject();
        String glucose = fhir.create("""
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose [Mass/volume] in Blood"}]}}""");
        String hemoglobin = fhir.create("""
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://example.org","code":"hb"}],"text":"Hémoglobine"}}""");

        assertThat(fhir.ids("Observation", "code:text", "glucose")).containsExactly(glucose);
        assertThat(fhir.ids("Observation", "code:text", "GLUCOSE [MASS")).containsExactly(glucose);
        assertThat(fhir.ids("Observation", "code:text", "hemoglobine")).containsExactly(hemoglobin);
        assertThat(fhir.ids("Observation", "code:text", "hb")).as(":text searches text, not codes").isEmpty();
    }

    @Test
    void token_of_type_matches_identifier_type_and_value() {
        var fhir = FhirClient.inNewProject();
        String mr = fhir.create("""
                {"resourceType":"Patient","identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},
                  "system":"http://hospital.example/mrn","value":"123"}]}""");
        String dl = fhir.create("""
                {"resourceType":"Patient","identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"DL"}]},
                  "system":"http://dmv.example","value":"123"}]}""");

        assertThat(fhir.ids("Patient", "identifier:of-type", "http://terminology.hl7.org/CodeSystem/v2-0203|MR|123")).containsExactly(mr);
        assertThat(fhir.ids("Patient", "identifier:of-type", "http://terminology.hl7.org/CodeSystem/v2-0203|DL|123")).containsExactly(dl);
        assertThat(fhir.ids("Patient", "identifier:of-type", "http://terminology.hl7.org/CodeSystem/v2-0203|MR|456")).isEmpty();
        assertThat(fhir.ids("Patient", "identifier", "123")).containsExactlyInAnyOrder(mr, dl);
    }

    // --- string -----------------------------------------------------------------------------------

    @Test
    void string_default_is_a_prefix_match_ignoring_case_and_accents() {
        var fhir = FhirClient.inNewProject();
        String mueller = fhir.create("""
                {"resourceType":"Patient","name":[{"family":"Müller","given":["Jürgen","Karl"]}],"address":[{"city":"São Paulo"}]}""");
        String muller = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Muller\"}]}");
        String schmidt = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Schmidt\",\"given\":[\"Anna\"]}]}");

        assertThat(fhir.ids("Patient", "name", "mul")).containsExactlyInAnyOrder(mueller, muller);
        assertThat(fhir.ids("Patient", "name", "MÜL")).containsExactlyInAnyOrder(mueller, muller);
        assertThat(fhir.ids("Patient", "family", "Muller")).containsExactlyInAnyOrder(mueller, muller);
        assertThat(fhir.ids("Patient", "name", "karl")).containsExactly(mueller);
        assertThat(fhir.ids("Patient", "name", "jurg")).containsExactly(mueller);
        assertThat(fhir.ids("Patient", "name", "ller")).as("not a substring match").isEmpty();
        assertThat(fhir.ids("Patient", "given", "anna")).containsExactly(schmidt);
        assertThat(fhir.ids("Patient", "address-city", "sao")).containsExactly(mueller);
    }

    @Test
    void string_exact_is_case_and_accent_sensitive_and_whole() {
        var fhir = FhirClient.inNewProject();
        String mueller = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Müller\"}]}");
        fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Muller\"}]}");

        assertThat(fhir.ids("Patient", "family:exact", "Müller")).containsExactly(mueller);
        assertThat(fhir.ids("Patient", "family:exact", "müller")).isEmpty();
        assertThat(fhir.ids("Patient", "family:exact", "Mül")).isEmpty();
    }

    @Test
    void string_contains_matches_anywhere() {
        var fhir = FhirClient.inNewProject();
        String mueller = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Müller\"}]}");
        String muller = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Muller\"}]}");
        fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Schmidt\"}]}");

        assertThat(fhir.ids("Patient", "name:contains", "LL")).containsExactlyInAnyOrder(mueller, muller);
        assertThat(fhir.ids("Patient", "name:contains", "üll")).containsExactlyInAnyOrder(mueller, muller);
        assertThat(fhir.ids("Patient", "name:contains", "mid")).hasSize(1);
        assertThat(fhir.ids("Patient", "name:contains", "xyz")).isEmpty();
    }

    // --- reference --------------------------------------------------------------------------------

    @Test
    void reference_by_type_and_id_bare_id_absolute_url_and_type_modifier() {
        var fhir = FhirClient.inNewProject();
        String patient = fhir.create("{\"resourceType\":\"Patient\"}");
        String group = fhir.create("{\"resourceType\":\"Group\",\"type\":\"person\",\"actual\":true}");
        String ofPatient = fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}"));
        String ofGroup = fhir.create(observation("{\"reference\":\"Group/" + group + "\"}"));
        String versioned = fhir.create(observation("{\"reference\":\"Patient/" + patient + "/_history/1\"}"));

        assertThat(fhir.ids("Observation", "subject", "Patient/" + patient)).containsExactlyInAnyOrder(ofPatient, versioned);
        assertThat(fhir.ids("Observation", "subject", patient)).containsExactlyInAnyOrder(ofPatient, versioned);
        assertThat(fhir.ids("Observation", "subject", FhirClient.baseUrl() + "fhir/R4/Patient/" + patient))
                .containsExactlyInAnyOrder(ofPatient, versioned);
        assertThat(fhir.ids("Observation", "subject:Patient", patient)).containsExactlyInAnyOrder(ofPatient, versioned);
        assertThat(fhir.ids("Observation", "subject:Group", group)).containsExactly(ofGroup);
        assertThat(fhir.ids("Observation", "subject:Group", patient)).isEmpty();
        assertThat(fhir.ids("Observation", "subject", "Group/" + patient)).isEmpty();
        assertThat(fhir.ids("Observation", "patient", patient)).containsExactlyInAnyOrder(ofPatient, versioned);
        assertThat(fhir.ids("Observation", "patient", group)).as("patient is subject.where(resolve() is Patient)").isEmpty();
    }

    @Test
    void reference_type_modifier_that_contradicts_the_value_matches_nothing() {
        var fhir = FhirClient.inNewProject();
        String patient = fhir.create("{\"resourceType\":\"Patient\"}");
        fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}"));

        assertThat(fhir.ids("Observation", "subject:Group", "Patient/" + patient)).isEmpty();
    }

    @Test
    void reference_to_another_server_is_found_by_its_url_and_not_as_a_local_reference() {
        var fhir = FhirClient.inNewProject();
        String local = fhir.create("{\"resourceType\":\"Patient\"}");
        String external = fhir.create(observation("{\"reference\":\"https://other.example/fhir/Patient/" + local + "\"}"));
        String internal = fhir.create(observation("{\"reference\":\"Patient/" + local + "\"}"));

        assertThat(fhir.ids("Observation", "subject", "https://other.example/fhir/Patient/" + local)).containsExactly(external);
        assertThat(fhir.ids("Observation", "subject", "Patient/" + local)).containsExactly(internal);
    }

    @Test
    void references_compared_by_url_urn_and_canonical_are_found_and_local_ones_are_not_matched_by_url() {
        // the url comparison covers only rows without a target (V12 indexes just those)
        var fhir = FhirClient.inNewProject();
        String local = fhir.create("{\"resourceType\":\"Patient\"}");
        String byUrn = fhir.create(observation("{\"reference\":\"urn:uuid:0b7c5a4e-8f5d-4c1e-9a55-3f1e2d6b7a90\"}"));
        String byLocal = fhir.create(observation("{\"reference\":\"Patient/" + local + "\"}"));
        String answers = fhir.create("{\"resourceType\":\"QuestionnaireResponse\",\"status\":\"completed\","
                + "\"questionnaire\":\"http://acme.org/fhir/Questionnaire/intake|2.0\"}");

        assertThat(fhir.ids("Observation", "subject", "urn:uuid:0b7c5a4e-8f5d-4c1e-9a55-3f1e2d6b7a90")).containsExactly(byUrn);
        assertThat(fhir.ids("QuestionnaireResponse", "questionnaire", "http://acme.org/fhir/Questionnaire/intake|2.0"))
                .containsExactly(answers);
        assertThat(fhir.ids("QuestionnaireResponse", "questionnaire", "http://acme.org/fhir/Questionnaire/intake")).isEmpty();
        assertThat(fhir.ids("Observation", "subject", "Patient/" + local)).containsExactly(byLocal);
        assertThat(fhir.ids("Observation", "subject", "https://other.example/Patient/" + local)).isEmpty();
    }

    @Test
    void reference_identifier_modifier_matches_logical_references() {
        var fhir = FhirClient.inNewProject();
        String logical = fhir.create(observation("{\"identifier\":{\"system\":\"http://ids.example\",\"value\":\"X-9\"}}"));
        fhir.create(observation("{\"identifier\":{\"system\":\"http://ids.example\",\"value\":\"X-10\"}}"));

        assertThat(fhir.ids("Observation", "subject:identifier", "http://ids.example|X-9")).containsExactly(logical);
        assertThat(fhir.ids("Observation", "subject:identifier", "X-9")).containsExactly(logical);
        assertThat(fhir.ids("Observation", "subject:identifier", "http://other.example|X-9")).isEmpty();
    }

    @Test
    void chained_parameters_follow_the_reference_one_level() {
        var fhir = FhirClient.inNewProject();
        String smith = fhir.create("""
                {"resourceType":"Patient","name":[{"family":"Smith"}],"identifier":[{"system":"http://ids.example","value":"S1"}]}""");
        String jones = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Jones\"}]}");
        String ofSmith = fhir.create(observation("{\"reference\":\"Patient/" + smith + "\"}"));
        fhir.create(observation("{\"reference\":\"Patient/" + jones + "\"}"));
        String acme = fhir.create("{\"resourceType\":\"Organization\",\"name\":\"Acme Clinic\"}");
        String managed = fhir.create("{\"resourceType\":\"Patient\",\"managingOrganization\":{\"reference\":\"Organization/" + acme + "\"}}");

        assertThat(fhir.ids("Observation", "subject:Patient.name", "smith")).containsExactly(ofSmith);
        assertThat(fhir.ids("Observation", "subject:Patient.identifier", "http://ids.example|S1")).containsExactly(ofSmith);
        assertThat(fhir.ids("Observation", "subject:Patient.name", "nobody")).isEmpty();
        assertThat(fhir.ids("Patient", "organization.name", "acme")).containsExactly(managed);
    }

    @Test
    void has_finds_resources_referred_to_by_matching_resources() {
        var fhir = FhirClient.inNewProject();
        String tested = fhir.create("{\"resourceType\":\"Patient\"}");
        String other = fhir.create("{\"resourceType\":\"Patient\"}");
        fhir.create("{\"resourceType\":\"Patient\"}");
        fhir.create(observation("{\"reference\":\"Patient/" + tested + "\"}", "1234-5"));
        fhir.create(observation("{\"reference\":\"Patient/" + other + "\"}", "9999-9"));

        assertThat(fhir.ids("Patient", "_has:Observation:patient:code", "1234-5")).containsExactly(tested);
        assertThat(fhir.ids("Patient", "_has:Observation:subject:code", "http://loinc.org|1234-5")).containsExactly(tested);
        assertThat(fhir.ids("Patient", "_has:Observation:patient:code", "1234-5,9999-9")).containsExactlyInAnyOrder(tested, other);
        assertThat(fhir.ids("Patient", "_has:Observation:patient:code", "0000-0")).isEmpty();
    }

    // --- date -------------------------------------------------------------------------------------

    @Test
    void date_prefixes_against_day_values_at_year_month_and_day_precision() {
        var fhir = FhirClient.inNewProject();
        String d1 = birth(fhir, "2019-12-31");
        String d2 = birth(fhir, "2020-01-01");
        String d3 = birth(fhir, "2020-06-15");
        String d4 = birth(fhir, "2020-12-31");
        String d5 = birth(fhir, "2021-01-01");

        assertThat(fhir.ids("Patient", "birthdate", "2020")).containsExactlyInAnyOrder(d2, d3, d4);
        assertThat(fhir.ids("Patient", "birthdate", "eq2020")).containsExactlyInAnyOrder(d2, d3, d4);
        assertThat(fhir.ids("Patient", "birthdate", "ne2020")).containsExactlyInAnyOrder(d1, d5);
        assertThat(fhir.ids("Patient", "birthdate", "gt2020")).containsExactly(d5);
        assertThat(fhir.ids("Patient", "birthdate", "ge2020")).containsExactlyInAnyOrder(d2, d3, d4, d5);
        assertThat(fhir.ids("Patient", "birthdate", "lt2020")).containsExactly(d1);
        assertThat(fhir.ids("Patient", "birthdate", "le2020")).containsExactlyInAnyOrder(d1, d2, d3, d4);
        assertThat(fhir.ids("Patient", "birthdate", "sa2020")).containsExactly(d5);
        assertThat(fhir.ids("Patient", "birthdate", "eb2020")).containsExactly(d1);
        assertThat(fhir.ids("Patient", "birthdate", "2020-06")).containsExactly(d3);
        assertThat(fhir.ids("Patient", "birthdate", "2020-06-15")).containsExactly(d3);
        assertThat(fhir.ids("Patient", "birthdate", "gt2020-06-15")).containsExactlyInAnyOrder(d4, d5);
        assertThat(fhir.ids("Patient", "birthdate", "le2020-01-01")).containsExactlyInAnyOrder(d1, d2);
        assertThat(fhir.ids("Patient", "birthdate", "ge2020-12")).containsExactlyInAnyOrder(d4, d5);
        assertThat(fhir.ids("Patient", "birthdate", "lt2020-01")).containsExactly(d1);
        assertThat(fhir.ids("Patient", "birthdate", "ge2020", "birthdate", "lt2021")).containsExactlyInAnyOrder(d2, d3, d4);
    }

    @Test
    void date_ap_is_approximately_equal() {
        var fhir = FhirClient.inNewProject();
        birth(fhir, "1990-01-01");
        String near = birth(fhir, "2000-06-01");
        birth(fhir, "2010-01-01");

        // 10% of the ~25 years to now is a margin of about 2.5 years.
        assertThat(fhir.ids("Patient", "birthdate", "ap2000-01-01")).containsExactly(near);
    }

    @Test
    void date_times_at_seconds_precision_and_with_offsets() {
        var fhir = FhirClient.inNewProject();
        String at30 = effective(fhir, "2024-05-06T10:00:30Z");
        String at31 = effective(fhir, "2024-05-06T10:00:31Z");
        String atTen = effective(fhir, "2024-05-06T12:00:00+02:00");

        assertThat(fhir.ids("Observation", "date", "2024-05-06T10:00:30Z")).containsExactly(at30);
        assertThat(fhir.ids("Observation", "date", "2024-05-06T10:00Z")).containsExactlyInAnyOrder(at30, at31, atTen);
        assertThat(fhir.ids("Observation", "date", "2024-05-06T10:00:00Z")).containsExactly(atTen);
        assertThat(fhir.ids("Observation", "date", "2024-05-06T12:00:00+02:00")).containsExactly(atTen);
        assertThat(fhir.ids("Observation", "date", "gt2024-05-06T10:00:30Z")).containsExactly(at31);
        assertThat(fhir.ids("Observation", "date", "ge2024-05-06T10:00:30Z")).containsExactlyInAnyOrder(at30, at31);
        assertThat(fhir.ids("Observation", "date", "lt2024-05-06T10:00:30Z")).containsExactly(atTen);
        assertThat(fhir.ids("Observation", "date", "le2024-05-06T10:00:30Z")).containsExactlyInAnyOrder(atTen, at30);
        assertThat(fhir.ids("Observation", "date", "2024-05-06")).containsExactlyInAnyOrder(at30, at31, atTen);
        assertThat(fhir.ids("Observation", "date", "2024-05-07")).isEmpty();
    }

    @Test
    void date_prefixes_against_periods_including_open_ended_ones() {
        var fhir = FhirClient.inNewProject();
        String january = encounter(fhir, "{\"start\":\"2024-01-10\",\"end\":\"2024-01-20\"}");
        String open = encounter(fhir, "{\"start\":\"2024-01-15\"}");
        String december = encounter(fhir, "{\"start\":\"2023-12-01\",\"end\":\"2023-12-31\"}");

        assertThat(fhir.ids("Encounter", "date", "2024-01")).containsExactly(january);
        assertThat(fhir.ids("Encounter", "date", "ne2024-01")).containsExactlyInAnyOrder(open, december);
        assertThat(fhir.ids("Encounter", "date", "ge2024-01-18")).containsExactlyInAnyOrder(january, open);
        assertThat(fhir.ids("Encounter", "date", "gt2030")).containsExactly(open);
        assertThat(fhir.ids("Encounter", "date", "lt2024-01-12")).containsExactlyInAnyOrder(january, december);
        assertThat(fhir.ids("Encounter", "date", "le2023-12-15")).containsExactly(december);
        assertThat(fhir.ids("Encounter", "date", "sa2024-01-01")).containsExactlyInAnyOrder(january, open);
        assertThat(fhir.ids("Encounter", "date", "eb2024-01-01")).containsExactly(december);
        assertThat(fhir.ids("Encounter", "date", "eb2024-01-15")).containsExactly(december);

        String account = fhir.create("""
                {"resourceType":"Account","status":"active","servicePeriod":{"start":"2024-03-01","end":"2024-03-31"}}""");
        assertThat(fhir.ids("Account", "period", "2024-03")).containsExactly(account);
        assertThat(fhir.ids("Account", "period", "2024-03-15")).isEmpty();
        assertThat(fhir.ids("Account", "period", "ge2024-03-15")).containsExactly(account);
    }

    // --- number -----------------------------------------------------------------------------------

    @Test
    void number_equality_honours_the_precision_written_and_every_prefix() {
        var fhir = FhirClient.inNewProject();
        String low = risk(fhir, "100.4");
        String high = risk(fhir, "100.6");
        String small = risk(fhir, "0.25");

        assertThat(fhir.ids("RiskAssessment", "probability", "100")).containsExactly(low);
        assertThat(fhir.ids("RiskAssessment", "probability", "eq100")).containsExactly(low);
        assertThat(fhir.ids("RiskAssessment", "probability", "100.4")).containsExactly(low);
        assertThat(fhir.ids("RiskAssessment", "probability", "100.40")).containsExactly(low);
        assertThat(fhir.ids("RiskAssessment", "probability", "101")).containsExactly(high);
        assertThat(fhir.ids("RiskAssessment", "probability", "1e2")).containsExactly(low);
        assertThat(fhir.ids("RiskAssessment", "probability", "ne100")).containsExactlyInAnyOrder(high, small);
        assertThat(fhir.ids("RiskAssessment", "probability", "gt100.5")).containsExactly(high);
        assertThat(fhir.ids("RiskAssessment", "probability", "lt100.5")).containsExactlyInAnyOrder(low, small);
        assertThat(fhir.ids("RiskAssessment", "probability", "ge100.4")).containsExactlyInAnyOrder(low, high);
        assertThat(fhir.ids("RiskAssessment", "probability", "le0.25")).containsExactly(small);
        assertThat(fhir.ids("RiskAssessment", "probability", "sa100.4")).containsExactly(high);
        assertThat(fhir.ids("RiskAssessment", "probability", "eb0.3")).containsExactly(small);
        assertThat(fhir.ids("RiskAssessment", "probability", "ap100")).containsExactlyInAnyOrder(low, high);
        assertThat(fhir.ids("RiskAssessment", "probability", "0.25,100.6")).containsExactlyInAnyOrder(small, high);
    }

    // --- quantity ---------------------------------------------------------------------------------

    @Test
    void quantity_with_system_and_code_code_only_and_prefixes() {
        var fhir = FhirClient.inNewProject();
        String ucum = quantity(fhir, "{\"value\":5.4,\"unit\":\"mg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mg\"}");
        String other = quantity(fhir, "{\"value\":5.4,\"unit\":\"milligram\",\"system\":\"http://other.example\",\"code\":\"mg\"}");
        String grams = quantity(fhir, "{\"value\":10,\"unit\":\"g\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"g\"}");

        assertThat(fhir.ids("Observation", "value-quantity", "5.4|http://unitsofmeasure.org|mg")).containsExactly(ucum);
        assertThat(fhir.ids("Observation", "value-quantity", "5.4||mg")).containsExactlyInAnyOrder(ucum, other);
        assertThat(fhir.ids("Observation", "value-quantity", "5.4")).containsExactlyInAnyOrder(ucum, other);
        assertThat(fhir.ids("Observation", "value-quantity", "5.4||g")).isEmpty();
        assertThat(fhir.ids("Observation", "value-quantity", "gt5|http://unitsofmeasure.org|g")).containsExactly(grams);
        assertThat(fhir.ids("Observation", "value-quantity", "gt5")).containsExactlyInAnyOrder(ucum, other, grams);
        assertThat(fhir.ids("Observation", "value-quantity", "lt6")).containsExactlyInAnyOrder(ucum, other);
        assertThat(fhir.ids("Observation", "value-quantity", "le5.4||mg")).containsExactlyInAnyOrder(ucum, other);
        assertThat(fhir.ids("Observation", "value-quantity", "ge5.5")).containsExactly(grams);
        assertThat(fhir.ids("Observation", "value-quantity", "ne5.4")).containsExactly(grams);
        assertThat(fhir.ids("Observation", "value-quantity", "ap10||g")).containsExactly(grams);
        assertThat(fhir.ids("Observation", "value-quantity", "10||milligram")).isEmpty();
        assertThat(fhir.ids("Observation", "value-quantity", "5.4||milligram")).containsExactly(other);
    }

    @Test
    void quantity_on_money_uses_the_currency_as_code() {
        var fhir = FhirClient.inNewProject();
        String usd = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"totalNet\":{\"value\":100.00,\"currency\":\"USD\"}}");
        String eur = fhir.create("{\"resourceType\":\"Invoice\",\"status\":\"issued\",\"totalNet\":{\"value\":250,\"currency\":\"EUR\"}}");

        assertThat(fhir.ids("Invoice", "totalnet", "100|urn:iso:std:iso:4217|USD")).containsExactly(usd);
        assertThat(fhir.ids("Invoice", "totalnet", "gt50||USD")).containsExactly(usd);
        assertThat(fhir.ids("Invoice", "totalnet", "gt50")).containsExactlyInAnyOrder(usd, eur);
        assertThat(fhir.ids("Invoice", "totalnet", "100||EUR")).isEmpty();
    }

    // --- uri --------------------------------------------------------------------------------------

    @Test
    void uri_exact_below_and_above() {
        var fhir = FhirClient.inNewProject();
        String v123 = valueSet(fhir, "http://acme.org/fhir/ValueSet/123");
        String v124 = valueSet(fhir, "http://acme.org/fhir/ValueSet/124");
        String root = valueSet(fhir, "http://acme.org/fhir");
        valueSet(fhir, "http://other.org/vs");
        String questionnaire = fhir.create("{\"resourceType\":\"Questionnaire\",\"status\":\"active\",\"url\":\"http://acme.org/fhir/Questionnaire/q\"}");

        assertThat(fhir.ids("ValueSet", "url", "http://acme.org/fhir/ValueSet/123")).containsExactly(v123);
        assertThat(fhir.ids("ValueSet", "url", "http://acme.org/fhir/ValueSet/12")).isEmpty();
        assertThat(fhir.ids("ValueSet", "url", "HTTP://ACME.ORG/fhir/ValueSet/123")).isEmpty();
        assertThat(fhir.ids("ValueSet", "url:below", "http://acme.org/fhir/")).containsExactlyInAnyOrder(v123, v124);
        assertThat(fhir.ids("ValueSet", "url:above", "http://acme.org/fhir/ValueSet/123/_history/5")).containsExactlyInAnyOrder(v123, root);
        assertThat(fhir.ids("Questionnaire", "url", "http://acme.org/fhir/Questionnaire/q")).containsExactly(questionnaire);
        assertThat(fhir.ids("Questionnaire", "url:below", "http://acme.org")).containsExactly(questionnaire);
    }

    @Test
    void profile_and_source_are_uri_parameters_on_meta() {
        var fhir = FhirClient.inNewProject();
        String profiled = fhir.create("""
                {"resourceType":"Patient","meta":{"profile":["http://example.org/StructureDefinition/my-patient"],"source":"http://example.org/source#1"}}""");
        fhir.create("{\"resourceType\":\"Patient\"}");

        assertThat(fhir.ids("Patient", "_profile", "http://example.org/StructureDefinition/my-patient")).containsExactly(profiled);
        assertThat(fhir.ids("Patient", "_source", "http://example.org/source#1")).containsExactly(profiled);
    }

    // --- _id and _lastUpdated ---------------------------------------------------------------------

    @Test
    void id_parameter_with_one_and_several_values() {
        var fhir = FhirClient.inNewProject();
        String a = fhir.create("{\"resourceType\":\"Patient\"}");
        String b = fhir.create("{\"resourceType\":\"Patient\"}");
        fhir.create("{\"resourceType\":\"Patient\"}");

        assertThat(fhir.ids("Patient", "_id", a)).containsExactly(a);
        assertThat(fhir.ids("Patient", "_id", a + "," + b)).containsExactlyInAnyOrder(a, b);
        assertThat(fhir.ids("Patient", "_id", "no-such-id")).isEmpty();
    }

    @Test
    void last_updated_with_every_prefix() throws InterruptedException {
        var fhir = FhirClient.inNewProject();
        var first = fhir.createJson("{\"resourceType\":\"Patient\"}");
        Thread.sleep(5);
        var second = fhir.createJson("{\"resourceType\":\"Patient\"}");
        String a = first.get("id").asText();
        String b = second.get("id").asText();
        String ta = first.path("meta").path("lastUpdated").asText();
        String tb = second.path("meta").path("lastUpdated").asText();
        assertThat(ta).isLessThan(tb);

        assertThat(fhir.ids("Patient", "_lastUpdated", ta)).containsExactly(a);
        assertThat(fhir.ids("Patient", "_lastUpdated", "eq" + tb)).containsExactly(b);
        assertThat(fhir.ids("Patient", "_lastUpdated", "ne" + ta)).containsExactly(b);
        assertThat(fhir.ids("Patient", "_lastUpdated", "gt" + ta)).containsExactly(b);
        assertThat(fhir.ids("Patient", "_lastUpdated", "ge" + ta)).containsExactlyInAnyOrder(a, b);
        assertThat(fhir.ids("Patient", "_lastUpdated", "lt" + tb)).containsExactly(a);
        assertThat(fhir.ids("Patient", "_lastUpdated", "le" + ta)).containsExactly(a);
        assertThat(fhir.ids("Patient", "_lastUpdated", "sa" + ta)).containsExactly(b);
        assertThat(fhir.ids("Patient", "_lastUpdated", "eb" + tb)).containsExactly(a);
        assertThat(fhir.ids("Patient", "_lastUpdated", "gt2000")).containsExactlyInAnyOrder(a, b);
        assertThat(fhir.ids("Patient", "_lastUpdated", "lt2000-01-01")).isEmpty();
        assertThat(fhir.ids("Patient", "_lastUpdated", "ap" + ta.substring(0, 10))).containsExactlyInAnyOrder(a, b);
    }

    // --- OR, AND, escaping ------------------------------------------------------------------------

    @Test
    void commas_are_or_repeated_parameters_are_and_and_escaped_commas_are_literal() {
        var fhir = FhirClient.inNewProject();
        String johnSmith = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smith\",\"given\":[\"John\"]}]}");
        String janeSmith = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smith\",\"given\":[\"Jane\"]}]}");
        String jones = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Jones\",\"given\":[\"John\"]}]}");
        String comma = fhir.create("""
                {"resourceType":"Patient","name":[{"family":"Doe,Jr"}],"identifier":[{"system":"http://ids.example","value":"a,b"}]}""");

        assertThat(fhir.ids("Patient", "name", "smith,jones")).containsExactlyInAnyOrder(johnSmith, janeSmith, jones);
        assertThat(fhir.ids("Patient", "name", "smith", "name", "john")).containsExactly(johnSmith);
        assertThat(fhir.ids("Patient", "family", "smith", "given", "jane,john")).containsExactlyInAnyOrder(johnSmith, janeSmith);
        assertThat(fhir.ids("Patient", "family:exact", "Doe\\,Jr")).containsExactly(comma);
        assertThat(fhir.ids("Patient", "family:exact", "Doe,Jr")).isEmpty();
        assertThat(fhir.ids("Patient", "identifier", "http://ids.example|a\\,b")).containsExactly(comma);
        assertThat(fhir.ids("Patient", "identifier", "http://ids.example|a,b")).isEmpty();
    }

    // --- paging -----------------------------------------------------------------------------------

    @Test
    void following_next_links_visits_every_match_exactly_once() {
        var fhir = FhirClient.inNewProject();
        var created = new HashSet<String>();
        for (int i = 0; i < 7; i++) created.add(fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"other\"}"));

        var seen = new ArrayList<String>();
        var reply = fhir.search("Patient", "gender", "other", "_count", "3");
        int pages = 0;
        while (true) {
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            var bundle = reply.json();
            pages++;
            assertThat(matchIds(bundle)).hasSizeLessThanOrEqualTo(3);
            seen.addAll(matchIds(bundle));
            assertThat(link(bundle, "self")).isNotNull();
            assertThat(link(bundle, "first")).isNotNull();
            // next links continue from a cursor (see CursorPagingTest), which has no previous page to name
            if (pages == 1) assertThat(link(bundle, "previous")).isNull();
            String next = link(bundle, "next");
            if (next == null) break;
            assertThat(pages).as("paging ends").isLessThan(10);
            reply = fhir.api().get(relative(next));
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void the_default_page_holds_twenty() {
        var fhir = FhirClient.inNewProject();
        for (int i = 0; i < 21; i++) fhir.create("{\"resourceType\":\"Patient\"}");
        var bundle = fhir.search("Patient").json();
        assertThat(matchIds(bundle)).hasSize(20);
        assertThat(link(bundle, "next")).contains("_count=20").contains("_cursor=");
        assertThat(matchIds(fhir.api().get(relative(link(bundle, "next"))).json())).hasSize(1);
    }

    @Test
    void count_and_offset_choose_the_page_and_previous_goes_back() {
        var fhir = FhirClient.inNewProject();
        for (int i = 0; i < 5; i++) fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"other\"}");
        var all = fhir.ids("Patient", "gender", "other", "_sort", "_id");
        assertThat(all).hasSize(5);

        var last = fhir.search("Patient", "gender", "other", "_sort", "_id", "_count", "2", "_offset", "4").json();
        assertThat(matchIds(last)).containsExactly(all.get(4));
        assertThat(link(last, "next")).isNull();
        var previous = fhir.api().get(relative(link(last, "previous"))).json();
        assertThat(matchIds(previous)).containsExactly(all.get(2), all.get(3));
        var first = fhir.api().get(relative(link(last, "first"))).json();
        assertThat(matchIds(first)).containsExactly(all.get(0), all.get(1));
        assertThat(fhir.ids("Patient", "gender", "other", "_count", "0")).isEmpty();
        assertThat(fhir.ids("Patient", "gender", "other")).hasSize(5);
    }

    // --- sorting ----------------------------------------------------------------------------------

    @Test
    void sort_by_several_keys_ascending_and_descending() {
        var fhir = FhirClient.inNewProject();
        String beta1990 = person(fhir, "Beta", "1990-01-01");
        String alpha = person(fhir, "Alpha", "2000-01-01");
        String beta2005 = person(fhir, "Beta", "2005-01-01");
        String gamma = person(fhir, "Gamma", "1980-01-01");

        assertThat(fhir.ids("Patient", "_sort", "family,-birthdate")).containsExactly(alpha, beta2005, beta1990, gamma);
        assertThat(fhir.ids("Patient", "_sort", "family,birthdate")).containsExactly(alpha, beta1990, beta2005, gamma);
        assertThat(fhir.ids("Patient", "_sort", "-family,birthdate")).containsExactly(gamma, beta1990, beta2005, alpha);
        assertThat(fhir.ids("Patient", "_sort", "birthdate")).containsExactly(gamma, beta1990, alpha, beta2005);
        assertThat(fhir.ids("Patient", "_sort", "-birthdate")).containsExactly(beta2005, alpha, beta1990, gamma);
        assertThat(fhir.ids("Patient", "_sort", "_lastUpdated")).containsExactly(beta1990, alpha, beta2005, gamma);
        assertThat(fhir.ids("Patient", "_sort", "-_lastUpdated")).containsExactly(gamma, beta2005, alpha, beta1990);
        var byId = new ArrayList<>(List.of(beta1990, alpha, beta2005, gamma));
        byId.sort(null);
        assertThat(fhir.ids("Patient", "_sort", "_id")).containsExactlyElementsOf(byId);
    }

    @Test
    void resources_without_the_sort_value_come_last() {
        var fhir = FhirClient.inNewProject();
        String none = fhir.create("{\"resourceType\":\"Patient\"}");
        String b = person(fhir, "B", "2000-01-01");
        String a = person(fhir, "A", "2001-01-01");

        assertThat(fhir.ids("Patient", "_sort", "family")).containsExactly(a, b, none);
        assertThat(fhir.ids("Patient", "_sort", "-family")).containsExactly(b, a, none);
    }

    // --- totals and summaries ---------------------------------------------------------------------

    @Test
    void total_is_given_only_when_asked_and_summary_count_gives_only_the_total() {
        var fhir = FhirClient.inNewProject();
        for (int i = 0; i < 3; i++) fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"other\"}");
        fhir.create("{\"resourceType\":\"Patient\",\"gender\":\"male\"}");

        var plain = fhir.search("Patient", "gender", "other", "_count", "1").json();
        assertThat(plain.has("total")).isFalse();
        var accurate = fhir.search("Patient", "gender", "other", "_count", "1", "_total", "accurate").json();
        assertThat(accurate.path("total").asInt()).isEqualTo(3);
        assertThat(matchIds(accurate)).hasSize(1);
        var none = fhir.search("Patient", "gender", "other", "_total", "none").json();
        assertThat(none.has("total")).isFalse();

        var count = fhir.search("Patient", "gender", "other", "_summary", "count");
        assertThat(count.status()).isEqualTo(200);
        assertThat(count.json().path("total").asInt()).isEqualTo(3);
        assertThat(count.json().path("entry")).isEmpty();
    }

    @Test
    void summary_true_keeps_summary_elements_and_tags_the_resource_subsetted() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("""
                {"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Ann</div>"},
                 "name":[{"family":"Summary"}],"gender":"female",
                 "maritalStatus":{"text":"married"},"communication":[{"language":{"text":"French"}}]}""");

        var resource = FhirClient.entries(fhir.search("Patient", "_id", id, "_summary", "true").json(), "match").getFirst();
        assertThat(resource.path("id").asText()).isEqualTo(id);
        assertThat(resource.has("text")).isFalse();
        assertThat(resource.has("maritalStatus")).isFalse();
        assertThat(resource.has("communication")).isFalse();
        assertThat(resource.path("name").path(0).path("family").asText()).isEqualTo("Summary");
        assertThat(resource.path("gender").asText()).isEqualTo("female");
        assertThat(resource.path("meta").path("tag").findValuesAsText("code")).contains("SUBSETTED");

        var full = FhirClient.entries(fhir.search("Patient", "_id", id).json(), "match").getFirst();
        assertThat(full.has("text")).isTrue();
        assertThat(full.path("meta").path("tag").findValuesAsText("code")).doesNotContain("SUBSETTED");
        assertThat(fhir.api().get("/fhir/R4/Patient/" + id).json().has("text")).as("the stored resource is untouched").isTrue();
    }

    @Test
    void elements_keeps_only_the_named_elements() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Elements\"}],\"gender\":\"female\",\"birthDate\":\"1990-01-01\"}");

        var resource = FhirClient.entries(fhir.search("Patient", "_id", id, "_elements", "gender,birthDate").json(), "match").getFirst();
        assertThat(resource.path("resourceType").asText()).isEqualTo("Patient");
        assertThat(resource.path("id").asText()).isEqualTo(id);
        assertThat(resource.path("gender").asText()).isEqualTo("female");
        assertThat(resource.path("birthDate").asText()).isEqualTo("1990-01-01");
        assertThat(resource.has("name")).isFalse();
        assertThat(resource.path("meta").path("tag").findValuesAsText("code")).contains("SUBSETTED");
    }

    // --- includes ---------------------------------------------------------------------------------

    @Test
    void include_adds_referenced_resources_once_and_by_target_type() {
        var fhir = FhirClient.inNewProject();
        String patient = fhir.create("{\"resourceType\":\"Patient\"}");
        String group = fhir.create("{\"resourceType\":\"Group\",\"type\":\"person\",\"actual\":true}");
        String o1 = fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}", "1111-1"));
        String o2 = fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}", "1111-1"));
        String o3 = fhir.create(observation("{\"reference\":\"Group/" + group + "\"}", "1111-1"));

        var bundle = fhir.search("Observation", "code", "1111-1", "_include", "Observation:subject").json();
        assertThat(matchIds(bundle)).containsExactlyInAnyOrder(o1, o2, o3);
        assertThat(included(bundle)).containsExactlyInAnyOrder("Patient/" + patient, "Group/" + group);

        var onlyPatients = fhir.search("Observation", "code", "1111-1", "_include", "Observation:subject:Patient").json();
        assertThat(included(onlyPatients)).containsExactly("Patient/" + patient);

        var without = fhir.search("Observation", "code", "1111-1").json();
        assertThat(included(without)).isEmpty();
    }

    @Test
    void include_iterate_follows_one_more_level() {
        var fhir = FhirClient.inNewProject();
        String patient = fhir.create("{\"resourceType\":\"Patient\"}");
        String account = fhir.create("{\"resourceType\":\"Account\",\"status\":\"active\",\"subject\":[{\"reference\":\"Patient/" + patient + "\"}]}");
        String invoice = fhir.create("""
                {"resourceType":"Invoice","status":"issued","identifier":[{"system":"http://ids.example","value":"inv-1"}],
                 "account":{"reference":"Account/%s"}}""".formatted(account));

        var iterated = fhir.search("Invoice", "identifier", "http://ids.example|inv-1",
                "_include", "Invoice:account", "_include:iterate", "Account:subject").json();
        assertThat(matchIds(iterated)).containsExactly(invoice);
        assertThat(included(iterated)).containsExactlyInAnyOrder("Account/" + account, "Patient/" + patient);

        var flat = fhir.search("Invoice", "identifier", "http://ids.example|inv-1",
                "_include", "Invoice:account", "_include", "Account:subject").json();
        assertThat(included(flat)).containsExactly("Account/" + account);
    }

    @Test
    void revinclude_adds_resources_that_refer_to_the_matches() {
        var fhir = FhirClient.inNewProject();
        String patient = fhir.create("{\"resourceType\":\"Patient\"}");
        String other = fhir.create("{\"resourceType\":\"Patient\"}");
        String o1 = fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}"));
        String o2 = fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}"));
        fhir.create(observation("{\"reference\":\"Patient/" + other + "\"}"));

        var bundle = fhir.search("Patient", "_id", patient, "_revinclude", "Observation:subject").json();
        assertThat(matchIds(bundle)).containsExactly(patient);
        assertThat(included(bundle)).containsExactlyInAnyOrder("Observation/" + o1, "Observation/" + o2);
    }

    // --- POST _search, lenient handling ----------------------------------------------------------

    @Test
    void post_search_with_a_form_body_answers_like_get() {
        var fhir = FhirClient.inNewProject();
        String smith = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smith\"}],\"gender\":\"male\"}");
        fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smith\"}],\"gender\":\"female\"}");

        var reply = fhir.api().raw("POST", "/fhir/R4/Patient/_search", "application/x-www-form-urlencoded",
                FhirClient.query("family", "smith", "gender", "male", "_total", "accurate").getBytes(StandardCharsets.UTF_8));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(matchIds(reply.json())).containsExactly(smith);
        assertThat(reply.json().path("total").asInt()).isEqualTo(1);

        var mixed = fhir.api().raw("POST", "/fhir/R4/Patient/_search?gender=male", "application/x-www-form-urlencoded",
                "family=smith".getBytes(StandardCharsets.UTF_8));
        assertThat(matchIds(mixed.json())).containsExactly(smith);
    }

    @Test
    void lenient_handling_ignores_unknown_parameters_and_says_so() {
        var fhir = FhirClient.inNewProject();
        String smith = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smith\"}]}");
        fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Jones\"}]}");
        String path = "/fhir/R4/Patient?" + FhirClient.query("family", "smith", "no-such-param", "x");

        assertThat(fhir.api().get(path).status()).isEqualTo(400);
        var lenient = fhir.api().send(fhir.api().request(path).header("Prefer", "handling=lenient").GET());
        assertThat(lenient.status()).as(lenient.toString()).isEqualTo(200);
        assertThat(matchIds(lenient.json())).containsExactly(smith);
        var outcomes = FhirClient.entries(lenient.json(), "outcome");
        assertThat(outcomes).hasSize(1);
        assertThat(outcomes.getFirst().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(outcomes.getFirst().toString()).contains("no-such-param");
        var strict = fhir.api().send(fhir.api().request(path).header("Prefer", "handling=strict").GET());
        assertThat(strict.status()).isEqualTo(400);
    }

    // --- projects, deletes, updates ---------------------------------------------------------------

    @Test
    void searches_never_cross_projects() {
        var a = FhirClient.inNewProject();
        var b = FhirClient.inNewProject();
        String identifier = "http://ids.example|shared-" + System.nanoTime();
        String patientA = a.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Shared\"}],\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\""
                + identifier.substring(identifier.indexOf('|') + 1) + "\"}]}");
        String patientB = b.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Shared\"}],\"identifier\":[{\"system\":\"http://ids.example\",\"value\":\""
                + identifier.substring(identifier.indexOf('|') + 1) + "\"}]}");
        // b's observation points at a's patient by id: nothing of a's may show through it
        String obsB = b.create(observation("{\"reference\":\"Patient/" + patientA + "\"}", "2222-2"));
        a.create(observation("{\"reference\":\"Patient/" + patientA + "\"}", "2222-2"));

        assertThat(a.ids("Patient", "identifier", identifier)).containsExactly(patientA);
        assertThat(b.ids("Patient", "identifier", identifier)).containsExactly(patientB);
        assertThat(b.ids("Patient", "_id", patientA)).isEmpty();
        var total = b.search("Patient", "family", "shared", "_total", "accurate").json();
        assertThat(total.path("total").asInt()).isEqualTo(1);

        var include = b.search("Observation", "code", "2222-2", "_include", "Observation:subject").json();
        assertThat(matchIds(include)).containsExactly(obsB);
        assertThat(included(include)).isEmpty();
        assertThat(b.ids("Observation", "subject:Patient.name", "shared")).isEmpty();
        assertThat(b.ids("Patient", "_has:Observation:subject:code", "2222-2")).isEmpty();
        assertThat(included(a.search("Patient", "_id", patientA, "_revinclude", "Observation:subject").json())).hasSize(1);
    }

    @Test
    void deleted_resources_are_not_found() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Gone\"}],\"gender\":\"male\"}");
        String patient = fhir.create("{\"resourceType\":\"Patient\"}");
        String obs = fhir.create(observation("{\"reference\":\"Patient/" + patient + "\"}"));
        assertThat(fhir.ids("Patient", "family", "gone")).containsExactly(id);

        assertThat(fhir.api().delete("/fhir/R4/Patient/" + id).status()).isEqualTo(200);
        assertThat(fhir.api().delete("/fhir/R4/Patient/" + patient).status()).isEqualTo(200);
        assertThat(fhir.ids("Patient", "family", "gone")).isEmpty();
        assertThat(fhir.ids("Patient", "gender", "male")).isEmpty();
        assertThat(fhir.ids("Patient", "_id", id)).isEmpty();
        assertThat(fhir.ids("Patient", "gender:missing", "true")).isEmpty();
        assertThat(included(fhir.search("Observation", "_id", obs, "_include", "Observation:subject").json())).isEmpty();
        assertThat(fhir.ids("Observation", "subject:Patient._id", patient)).isEmpty();
    }

    @Test
    void an_updated_resource_is_found_only_by_its_new_values() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Before\"}],\"birthDate\":\"1990-01-01\"}");
        var put = fhir.api().put("/fhir/R4/Patient/" + id,
                "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"name\":[{\"family\":\"After\"}],\"birthDate\":\"2000-01-01\"}");
        assertThat(put.status()).isEqualTo(200);

        assertThat(fhir.ids("Patient", "family", "before")).isEmpty();
        assertThat(fhir.ids("Patient", "birthdate", "1990")).isEmpty();
        assertThat(fhir.ids("Patient", "family", "after")).containsExactly(id);
        assertThat(fhir.ids("Patient", "birthdate", "2000")).containsExactly(id);

        var patch = fhir.api().patch("/fhir/R4/Patient/" + id, "[{\"op\":\"replace\",\"path\":\"/name/0/family\",\"value\":\"Patched\"}]");
        assertThat(patch.status()).isEqualTo(200);
        assertThat(fhir.ids("Patient", "family", "after")).isEmpty();
        assertThat(fhir.ids("Patient", "family", "patched")).containsExactly(id);
    }

    @Test
    void entries_carry_full_urls_and_the_search_mode() {
        var fhir = FhirClient.inNewProject();
        String id = fhir.create("{\"resourceType\":\"Patient\"}");
        JsonNode bundle = fhir.search("Patient", "_id", id).json();
        assertThat(bundle.path("type").asText()).isEqualTo("searchset");
        var entry = bundle.path("entry").path(0);
        assertThat(entry.path("fullUrl").asText()).isEqualTo(FhirClient.baseUrl() + "fhir/R4/Patient/" + id);
        assertThat(entry.path("search").path("mode").asText()).isEqualTo("match");
        assertThat(link(bundle, "self")).startsWith(FhirClient.baseUrl() + "fhir/R4/Patient?");
    }

    // --- data -------------------------------------------------------------------------------------

    private static String observation(String subject) {
        return observation(subject, "1234-5");
    }

    private static String observation(String subject, String loinc) {
        return """
                {"resourceType":"Observation","status":"final",
                 "code":{"coding":[{"system":"http://loinc.org","code":"%s"}]},"subject":%s}""".formatted(loinc, subject);
    }

    private static String birth(FhirClient fhir, String date) {
        return fhir.create("{\"resourceType\":\"Patient\",\"birthDate\":\"" + date + "\"}");
    }

    private static String person(FhirClient fhir, String family, String date) {
        return fhir.create("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],\"birthDate\":\"" + date + "\"}");
    }

    private static String effective(FhirClient fhir, String dateTime) {
        return fhir.create("""
                {"resourceType":"Observation","status":"final","code":{"text":"t"},"effectiveDateTime":"%s"}""".formatted(dateTime));
    }

    private static String encounter(FhirClient fhir, String period) {
        return fhir.create("{\"resourceType\":\"Encounter\",\"status\":\"finished\",\"class\":{\"code\":\"AMB\"},\"period\":" + period + "}");
    }

    private static String risk(FhirClient fhir, String probability) {
        return fhir.create("""
                {"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/x"},
                 "prediction":[{"probabilityDecimal":%s}]}""".formatted(probability));
    }

    private static String quantity(FhirClient fhir, String value) {
        return fhir.create("""
                {"resourceType":"Observation","status":"final","code":{"text":"q"},"valueQuantity":%s}""".formatted(value));
    }

    private static String valueSet(FhirClient fhir, String url) {
        return fhir.create("{\"resourceType\":\"ValueSet\",\"status\":\"active\",\"url\":\"" + url + "\"}");
    }
}
