package dev.fhirhook.fhir.fhirpath;

import static dev.fhirhook.fhir.fhirpath.Json.at;
import static dev.fhirhook.fhir.fhirpath.Json.bool;
import static dev.fhirhook.fhir.fhirpath.Json.json;
import static dev.fhirhook.fhir.fhirpath.Json.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.fhirpath.FhirPath.Item;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real expression text of official R4 SearchParameters (looked up by base and code) evaluated on realistic
 * resources, one sample or more per parameter type, asserting exactly which items come back and with which type.
 */
class SearchParameterSamplesTest {

    private static List<Item> evaluate(String base, String code, JsonNode resource) {
        return OfficialSearchParameters.expression(base, code).evaluate(resource);
    }

    // ---- patient

    static final JsonNode PATIENT = json("""
            {
              "resourceType": "Patient",
              "id": "p1",
              "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
              "identifier": [
                {"use": "usual", "system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"},
                {"system": "http://hospital.example.org/mrn", "value": "MRN-9"}
              ],
              "active": true,
              "name": [
                {"use": "official", "family": "Chalmers", "given": ["Peter", "James"]},
                {"use": "usual", "given": ["Jim"]}
              ],
              "telecom": [
                {"system": "phone", "value": "(03) 5555 6473", "use": "work"},
                {"system": "email", "value": "peter@example.org"},
                {"system": "phone", "value": "(03) 3410 5613", "use": "mobile"}
              ],
              "gender": "male",
              "birthDate": "1974-12-25",
              "_birthDate": {
                "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                               "valueDateTime": "1974-12-25T14:35:45-05:00"}]
              },
              "deceasedBoolean": false,
              "address": [
                {"use": "home", "line": ["534 Erewhon St"], "city": "PleasantVille", "postalCode": "3999", "country": "AU"}
              ],
              "generalPractitioner": [{"reference": "Organization/1"}, {"reference": "Practitioner/dr-1"}],
              "managingOrganization": {"reference": "Organization/1"},
              "link": [{"other": {"reference": "Patient/p0"}, "type": "replaces"}]
            }
            """);

    @Test
    void patient_string_name_family_and_given() {
        assertThat(evaluate("Patient", "name", PATIENT))
                .containsExactly(at(PATIENT, "/name/0", null), at(PATIENT, "/name/1", null));
        assertThat(evaluate("Patient", "family", PATIENT)).containsExactly(text("Chalmers"));
        assertThat(evaluate("Patient", "given", PATIENT)).containsExactly(text("Peter"), text("James"), text("Jim"));
    }

    @Test
    void patient_string_address_and_address_city() {
        assertThat(evaluate("Patient", "address", PATIENT)).containsExactly(at(PATIENT, "/address/0", null));
        assertThat(evaluate("Patient", "address-city", PATIENT)).containsExactly(text("PleasantVille"));
        assertThat(evaluate("Patient", "address-state", PATIENT)).isEmpty();
    }

    @Test
    void patient_token_identifier_gender_and_active() {
        assertThat(evaluate("Patient", "identifier", PATIENT))
                .containsExactly(at(PATIENT, "/identifier/0", null), at(PATIENT, "/identifier/1", null));
        assertThat(evaluate("Patient", "gender", PATIENT)).containsExactly(text("male"));
        assertThat(evaluate("Patient", "active", PATIENT)).containsExactly(bool(true));
    }

    @Test
    void patient_token_telecom_email_and_phone() {
        assertThat(evaluate("Patient", "telecom", PATIENT)).containsExactly(
                at(PATIENT, "/telecom/0", null), at(PATIENT, "/telecom/1", null), at(PATIENT, "/telecom/2", null));
        assertThat(evaluate("Patient", "email", PATIENT)).containsExactly(at(PATIENT, "/telecom/1", null));
        assertThat(evaluate("Patient", "phone", PATIENT))
                .containsExactly(at(PATIENT, "/telecom/0", null), at(PATIENT, "/telecom/2", null));
    }

    @Test
    void patient_date_birthdate_ignores_the_primitive_extension() {
        assertThat(evaluate("Patient", "birthdate", PATIENT)).containsExactly(text("1974-12-25"));
    }

    @Test
    void patient_reference_general_practitioner_organization_and_link() {
        assertThat(evaluate("Patient", "general-practitioner", PATIENT))
                .containsExactly(at(PATIENT, "/generalPractitioner/0", null), at(PATIENT, "/generalPractitioner/1", null));
        assertThat(evaluate("Patient", "organization", PATIENT)).containsExactly(at(PATIENT, "/managingOrganization", null));
        assertThat(evaluate("Patient", "link", PATIENT)).containsExactly(at(PATIENT, "/link/0/other", null));
    }

    @Test
    void patient_token_deceased_and_date_death_date_follow_the_deceased_choice() {
        assertThat(evaluate("Patient", "deceased", PATIENT)).containsExactly(bool(false));
        assertThat(evaluate("Patient", "death-date", PATIENT)).isEmpty();

        var died = json("""
                {"resourceType": "Patient", "deceasedDateTime": "2015-02-14T13:42:00+10:00"}""");
        assertThat(evaluate("Patient", "deceased", died)).containsExactly(bool(true));
        assertThat(evaluate("Patient", "death-date", died)).containsExactly(text("2015-02-14T13:42:00+10:00", "dateTime"));

        var deceasedTrue = json("""
                {"resourceType": "Patient", "deceasedBoolean": true}""");
        assertThat(evaluate("Patient", "deceased", deceasedTrue)).containsExactly(bool(true));

        var unknown = json("""
                {"resourceType": "Patient"}""");
        assertThat(evaluate("Patient", "deceased", unknown)).containsExactly(bool(false));
    }

    @Test
    void patient_uri_profile_and_token_id_from_the_resource_base() {
        assertThat(evaluate("Resource", "_profile", PATIENT))
                .containsExactly(text("http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"));
        assertThat(evaluate("Resource", "_id", PATIENT)).containsExactly(text("p1"));
    }

    // ---- multi base

    static final JsonNode PRACTITIONER = json("""
            {
              "resourceType": "Practitioner",
              "id": "dr-1",
              "name": [{"family": "Careful", "given": ["Adam"], "prefix": ["Dr"]}],
              "telecom": [{"system": "email", "value": "adam.careful@example.org"}],
              "address": [{"city": "Amsterdam", "country": "NLD"}]
            }
            """);

    @Test
    void multi_base_the_patient_family_parameter_also_reads_practitioners() {
        assertThat(evaluate("Practitioner", "family", PRACTITIONER)).containsExactly(text("Careful"));
        assertThat(evaluate("Patient", "family", PRACTITIONER)).containsExactly(text("Careful")); // the same parameter
        assertThat(evaluate("Practitioner", "family", PATIENT)).containsExactly(text("Chalmers"));
    }

    @Test
    void multi_base_individual_email_and_address_city_pick_the_branch_of_the_resource_type() {
        assertThat(evaluate("Practitioner", "email", PRACTITIONER)).containsExactly(at(PRACTITIONER, "/telecom/0", null));
        assertThat(evaluate("Practitioner", "address-city", PRACTITIONER)).containsExactly(text("Amsterdam"));
        assertThat(evaluate("Practitioner", "address-city", PATIENT)).containsExactly(text("PleasantVille"));
    }

    @Test
    void multi_base_clinical_patient_on_an_observation_a_condition_and_an_encounter() {
        assertThat(evaluate("Observation", "patient", BLOOD_PRESSURE))
                .containsExactly(at(BLOOD_PRESSURE, "/subject", null));
        assertThat(evaluate("Condition", "patient", KNEE))
                .containsExactly(at(KNEE, "/subject", null));
        assertThat(evaluate("Encounter", "patient", VISIT))
                .containsExactly(at(VISIT, "/subject", null));
    }

    @Test
    void multi_base_conformance_url_on_a_value_set_and_a_code_system() {
        var valueSet = json("""
                {"resourceType": "ValueSet", "url": "http://example.org/fhir/ValueSet/colors", "status": "active"}""");
        var codeSystem = json("""
                {"resourceType": "CodeSystem", "url": "http://example.org/fhir/CodeSystem/colors", "status": "active"}""");
        assertThat(evaluate("ValueSet", "url", valueSet)).containsExactly(text("http://example.org/fhir/ValueSet/colors"));
        assertThat(evaluate("CodeSystem", "url", codeSystem)).containsExactly(text("http://example.org/fhir/CodeSystem/colors"));
    }

    // ---- observation

    static final JsonNode BLOOD_PRESSURE = json("""
            {
              "resourceType": "Observation",
              "id": "bp",
              "status": "final",
              "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
              "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}]},
              "subject": {"reference": "Patient/p1"},
              "encounter": {"reference": "Encounter/e1"},
              "effectiveDateTime": "2024-03-01T09:30:00Z",
              "performer": [{"reference": "Practitioner/dr-1"}],
              "component": [
                {
                  "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]},
                  "valueQuantity": {"value": 120, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
                },
                {
                  "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4", "display": "Diastolic blood pressure"}]},
                  "valueQuantity": {"value": 80, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
                },
                {
                  "code": {"coding": [{"system": "http://loinc.org", "code": "8357-6", "display": "Method"}]},
                  "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "37931006"}], "text": "Auscultation"}
                }
              ]
            }
            """);

    static final JsonNode GLUCOSE = json("""
            {
              "resourceType": "Observation",
              "id": "glucose",
              "status": "final",
              "code": {"coding": [{"system": "http://loinc.org", "code": "15074-8", "display": "Glucose"}]},
              "subject": {"reference": "Group/diabetics"},
              "effectivePeriod": {"start": "2024-03-01T07:00:00+01:00", "end": "2024-03-01T08:00:00+01:00"},
              "valueQuantity": {"value": 6.30, "unit": "mmol/l", "system": "http://unitsofmeasure.org", "code": "mmol/L"}
            }
            """);

    static final JsonNode SMOKING = json("""
            {
              "resourceType": "Observation",
              "status": "final",
              "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
              "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "8517006"}], "text": "Former smoker"}
            }
            """);

    @Test
    void observation_token_code_combo_code_and_status() {
        assertThat(evaluate("Observation", "code", BLOOD_PRESSURE)).containsExactly(at(BLOOD_PRESSURE, "/code", null));
        assertThat(evaluate("Observation", "combo-code", BLOOD_PRESSURE)).containsExactly(
                at(BLOOD_PRESSURE, "/code", null), at(BLOOD_PRESSURE, "/component/0/code", null),
                at(BLOOD_PRESSURE, "/component/1/code", null), at(BLOOD_PRESSURE, "/component/2/code", null));
        assertThat(evaluate("Observation", "status", BLOOD_PRESSURE)).containsExactly(text("final"));
    }

    @Test
    void observation_quantity_value_quantity_is_typed_from_the_choice_suffix() {
        assertThat(evaluate("Observation", "value-quantity", GLUCOSE)).containsExactly(at(GLUCOSE, "/valueQuantity", "Quantity"));
        assertThat(evaluate("Observation", "value-quantity", BLOOD_PRESSURE)).isEmpty();
        assertThat(evaluate("Observation", "component-value-quantity", BLOOD_PRESSURE)).containsExactly(
                at(BLOOD_PRESSURE, "/component/0/valueQuantity", "Quantity"),
                at(BLOOD_PRESSURE, "/component/1/valueQuantity", "Quantity"));
    }

    @Test
    void observation_token_value_concept_and_string_value_string() {
        assertThat(evaluate("Observation", "value-concept", SMOKING))
                .containsExactly(at(SMOKING, "/valueCodeableConcept", "CodeableConcept"));
        assertThat(evaluate("Observation", "value-string", SMOKING)).containsExactly(text("Former smoker"));
        assertThat(evaluate("Observation", "combo-value-concept", BLOOD_PRESSURE))
                .containsExactly(at(BLOOD_PRESSURE, "/component/2/valueCodeableConcept", "CodeableConcept"));
    }

    @Test
    void observation_date_is_effective_date_time_or_effective_period() {
        assertThat(evaluate("Observation", "date", BLOOD_PRESSURE))
                .containsExactly(text("2024-03-01T09:30:00Z", "dateTime"));
        assertThat(evaluate("Observation", "date", GLUCOSE)).containsExactly(at(GLUCOSE, "/effectivePeriod", "Period"));
    }

    @Test
    void observation_reference_subject_patient_and_performer() {
        assertThat(evaluate("Observation", "subject", BLOOD_PRESSURE)).containsExactly(at(BLOOD_PRESSURE, "/subject", null));
        assertThat(evaluate("Observation", "patient", BLOOD_PRESSURE)).containsExactly(at(BLOOD_PRESSURE, "/subject", null));
        assertThat(evaluate("Observation", "subject", GLUCOSE)).containsExactly(at(GLUCOSE, "/subject", null));
        assertThat(evaluate("Observation", "patient", GLUCOSE)).as("a Group is not a Patient").isEmpty();
        assertThat(evaluate("Observation", "performer", BLOOD_PRESSURE)).containsExactly(at(BLOOD_PRESSURE, "/performer/0", null));
    }

    @Test
    void observation_composite_code_value_quantity_runs_its_components_on_the_observation() {
        List<Item> roots = evaluate("Observation", "code-value-quantity", GLUCOSE);
        assertThat(roots).containsExactly(new Item(GLUCOSE, "Observation"));
        var components = OfficialSearchParameters.components("Observation", "code-value-quantity");
        assertThat(components.get(0).evaluate(roots.getFirst(), GLUCOSE)).containsExactly(at(GLUCOSE, "/code", null));
        assertThat(components.get(1).evaluate(roots.getFirst(), GLUCOSE)).containsExactly(at(GLUCOSE, "/valueQuantity", "Quantity"));
    }

    @Test
    void observation_composite_component_code_value_quantity_runs_its_components_on_each_component() {
        List<Item> roots = evaluate("Observation", "component-code-value-quantity", BLOOD_PRESSURE);
        assertThat(roots).hasSize(3);
        var components = OfficialSearchParameters.components("Observation", "component-code-value-quantity");
        var pairs = roots.stream().map(root -> List.of(
                components.get(0).evaluate(root, BLOOD_PRESSURE), components.get(1).evaluate(root, BLOOD_PRESSURE))).toList();
        assertThat(pairs).containsExactly(
                List.of(List.of(at(BLOOD_PRESSURE, "/component/0/code", null)),
                        List.of(at(BLOOD_PRESSURE, "/component/0/valueQuantity", "Quantity"))),
                List.of(List.of(at(BLOOD_PRESSURE, "/component/1/code", null)),
                        List.of(at(BLOOD_PRESSURE, "/component/1/valueQuantity", "Quantity"))),
                List.of(List.of(at(BLOOD_PRESSURE, "/component/2/code", null)), List.of()));
    }

    @Test
    void observation_composite_combo_code_value_concept_covers_the_observation_and_its_components() {
        List<Item> roots = evaluate("Observation", "combo-code-value-concept", SMOKING);
        assertThat(roots).containsExactly(new Item(SMOKING, "Observation"));
        var value = OfficialSearchParameters.components("Observation", "combo-code-value-concept").get(1);
        assertThat(value.evaluate(roots.getFirst(), SMOKING)).containsExactly(at(SMOKING, "/valueCodeableConcept", "CodeableConcept"));
    }

    @Test
    void observation_composite_code_value_date_matches_a_date_time_through_the_system_type_name() {
        var dated = json("""
                {"resourceType": "Observation", "code": {"text": "last menstrual period"}, "valueDateTime": "2024-02-11"}""");
        var value = OfficialSearchParameters.components("Observation", "code-value-date").get(1);
        assertThat(value.expression()).isEqualTo("value.as(DateTime) | value.as(Period)");
        assertThat(value.evaluate(new Item(dated, "Observation"), dated)).containsExactly(text("2024-02-11", "dateTime"));
    }

    // ---- invoice

    static final JsonNode INVOICE = json("""
            {
              "resourceType": "Invoice",
              "id": "inv1",
              "identifier": [{"system": "http://myHospital.org/Invoices", "value": "654321"}],
              "status": "issued",
              "subject": {"reference": "Patient/p1"},
              "date": "2024-03-02T10:15:00+01:00",
              "participant": [
                {"role": {"coding": [{"system": "http://snomed.info/sct", "code": "17561000", "display": "Cardiologist"}]},
                 "actor": {"reference": "Practitioner/dr-1"}}
              ],
              "issuer": {"reference": "Organization/o1"},
              "account": {"reference": "Account/acc1"},
              "totalNet": {"value": 40.22, "currency": "EUR"},
              "totalGross": {"value": 48.00, "currency": "EUR"}
            }
            """);

    @Test
    void invoice_token_identifier_and_status() {
        assertThat(evaluate("Invoice", "identifier", INVOICE)).containsExactly(at(INVOICE, "/identifier/0", null));
        assertThat(evaluate("Invoice", "status", INVOICE)).containsExactly(text("issued"));
        assertThat(evaluate("Invoice", "participant-role", INVOICE)).containsExactly(at(INVOICE, "/participant/0/role", null));
    }

    @Test
    void invoice_date_and_quantity_totals() {
        assertThat(evaluate("Invoice", "date", INVOICE)).containsExactly(text("2024-03-02T10:15:00+01:00"));
        assertThat(evaluate("Invoice", "totalnet", INVOICE)).containsExactly(at(INVOICE, "/totalNet", null));
        assertThat(evaluate("Invoice", "totalgross", INVOICE)).containsExactly(at(INVOICE, "/totalGross", null));
    }

    @Test
    void invoice_reference_subject_patient_participant_and_account() {
        assertThat(evaluate("Invoice", "subject", INVOICE)).containsExactly(at(INVOICE, "/subject", null));
        assertThat(evaluate("Invoice", "patient", INVOICE)).containsExactly(at(INVOICE, "/subject", null));
        assertThat(evaluate("Invoice", "participant", INVOICE)).containsExactly(at(INVOICE, "/participant/0/actor", null));
        assertThat(evaluate("Invoice", "account", INVOICE)).containsExactly(at(INVOICE, "/account", null));
    }

    // ---- account

    static final JsonNode ACCOUNT = json("""
            {
              "resourceType": "Account",
              "id": "acc1",
              "identifier": [{"system": "urn:oid:0.1.2.3.4.5.6.7", "value": "654321"}],
              "status": "active",
              "name": "HACC Funded Billing for Peter James Chalmers",
              "subject": [{"reference": "Patient/p1"}, {"reference": "Device/d1"}, {"reference": "http://other.example/fhir/Patient/p2/_history/3"}],
              "servicePeriod": {"start": "2024-01-01", "end": "2024-06-30"},
              "owner": {"reference": "Organization/o1"}
            }
            """);

    @Test
    void account_token_identifier_and_status_string_name_date_period() {
        assertThat(evaluate("Account", "identifier", ACCOUNT)).containsExactly(at(ACCOUNT, "/identifier/0", null));
        assertThat(evaluate("Account", "status", ACCOUNT)).containsExactly(text("active"));
        assertThat(evaluate("Account", "name", ACCOUNT)).containsExactly(text("HACC Funded Billing for Peter James Chalmers"));
        assertThat(evaluate("Account", "period", ACCOUNT)).containsExactly(at(ACCOUNT, "/servicePeriod", null));
    }

    @Test
    void account_reference_subject_and_patient_which_keeps_relative_and_absolute_patient_references() {
        assertThat(evaluate("Account", "subject", ACCOUNT)).containsExactly(
                at(ACCOUNT, "/subject/0", null), at(ACCOUNT, "/subject/1", null), at(ACCOUNT, "/subject/2", null));
        assertThat(evaluate("Account", "patient", ACCOUNT))
                .containsExactly(at(ACCOUNT, "/subject/0", null), at(ACCOUNT, "/subject/2", null));
        assertThat(evaluate("Account", "owner", ACCOUNT)).containsExactly(at(ACCOUNT, "/owner", null));
    }

    // ---- encounter

    static final JsonNode VISIT = json("""
            {
              "resourceType": "Encounter",
              "id": "e1",
              "status": "finished",
              "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
              "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "270427003", "display": "Patient-initiated encounter"}]}],
              "subject": {"reference": "https://fhir.example.org/r4/Patient/p1"},
              "participant": [
                {"individual": {"reference": "Practitioner/dr-1"}},
                {"individual": {"reference": "RelatedPerson/rp1"}}
              ],
              "period": {"start": "2024-03-01T09:00:00Z", "end": "2024-03-01T10:00:00Z"},
              "length": {"value": 60, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"},
              "location": [{"location": {"reference": "Location/l1"}, "period": {"start": "2024-03-01T09:05:00Z"}}]
            }
            """);

    @Test
    void encounter_token_class_type_and_status() {
        assertThat(evaluate("Encounter", "class", VISIT)).containsExactly(at(VISIT, "/class", null));
        assertThat(evaluate("Encounter", "type", VISIT)).containsExactly(at(VISIT, "/type/0", null));
        assertThat(evaluate("Encounter", "status", VISIT)).containsExactly(text("finished"));
    }

    @Test
    void encounter_reference_participant_practitioner_and_location() {
        assertThat(evaluate("Encounter", "participant", VISIT))
                .containsExactly(at(VISIT, "/participant/0/individual", null), at(VISIT, "/participant/1/individual", null));
        assertThat(evaluate("Encounter", "practitioner", VISIT)).containsExactly(at(VISIT, "/participant/0/individual", null));
        assertThat(evaluate("Encounter", "location", VISIT)).containsExactly(at(VISIT, "/location/0/location", null));
    }

    @Test
    void encounter_date_period_and_quantity_length() {
        assertThat(evaluate("Encounter", "date", VISIT)).containsExactly(at(VISIT, "/period", null));
        assertThat(evaluate("Encounter", "location-period", VISIT)).containsExactly(at(VISIT, "/location/0/period", null));
        assertThat(evaluate("Encounter", "length", VISIT)).containsExactly(at(VISIT, "/length", null));
    }

    // ---- condition

    static final JsonNode KNEE = json("""
            {
              "resourceType": "Condition",
              "id": "c1",
              "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "resolved"}]},
              "code": {"coding": [{"system": "http://snomed.info/sct", "code": "239873007", "display": "Osteoarthritis of knee"}]},
              "subject": {"reference": "Patient/p1"},
              "onsetAge": {"value": 52, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"},
              "abatementPeriod": {"start": "2024-01-10", "end": "2024-02-20"},
              "recordedDate": "2023-11-02"
            }
            """);

    static final JsonNode FEVER = json("""
            {
              "resourceType": "Condition",
              "code": {"text": "fever"},
              "subject": {"reference": "Group/ward-3"},
              "onsetDateTime": "2024-03-01T06:00:00Z",
              "abatementString": "resolved after paracetamol"
            }
            """);

    static final JsonNode CHILDHOOD = json("""
            {
              "resourceType": "Condition",
              "code": {"text": "asthma"},
              "onsetRange": {"low": {"value": 5, "unit": "a"}, "high": {"value": 7, "unit": "a"}},
              "abatementAge": {"value": 12, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
            }
            """);

    @Test
    void condition_quantity_onset_age_takes_age_or_range() {
        assertThat(evaluate("Condition", "onset-age", KNEE)).containsExactly(at(KNEE, "/onsetAge", "Age"));
        assertThat(evaluate("Condition", "onset-age", CHILDHOOD)).containsExactly(at(CHILDHOOD, "/onsetRange", "Range"));
        assertThat(evaluate("Condition", "onset-age", FEVER)).isEmpty();
        assertThat(evaluate("Condition", "abatement-age", CHILDHOOD)).containsExactly(at(CHILDHOOD, "/abatementAge", "Age"));
    }

    @Test
    void condition_date_onset_and_abatement_take_date_time_or_period() {
        assertThat(evaluate("Condition", "onset-date", FEVER)).containsExactly(text("2024-03-01T06:00:00Z", "dateTime"));
        assertThat(evaluate("Condition", "onset-date", KNEE)).isEmpty();
        assertThat(evaluate("Condition", "abatement-date", KNEE)).containsExactly(at(KNEE, "/abatementPeriod", "Period"));
        assertThat(evaluate("Condition", "recorded-date", KNEE)).containsExactly(text("2023-11-02"));
    }

    @Test
    void condition_string_onset_info_and_abatement_string() {
        assertThat(evaluate("Condition", "abatement-string", FEVER)).containsExactly(text("resolved after paracetamol", "string"));
        assertThat(evaluate("Condition", "onset-info", FEVER)).isEmpty();
    }

    @Test
    void condition_token_code_and_clinical_status_reference_patient() {
        assertThat(evaluate("Condition", "code", KNEE)).containsExactly(at(KNEE, "/code", null));
        assertThat(evaluate("Condition", "clinical-status", KNEE)).containsExactly(at(KNEE, "/clinicalStatus", null));
        assertThat(evaluate("Condition", "patient", KNEE)).containsExactly(at(KNEE, "/subject", null));
        assertThat(evaluate("Condition", "patient", FEVER)).isEmpty();
    }

    // ---- medication request

    static final JsonNode CODED = json("""
            {
              "resourceType": "MedicationRequest",
              "status": "active",
              "intent": "order",
              "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "582620"}]},
              "subject": {"reference": "Patient/p1"},
              "authoredOn": "2024-03-01",
              "requester": {"reference": "Practitioner/dr-1"}
            }
            """);

    static final JsonNode REFERENCED = json("""
            {
              "resourceType": "MedicationRequest",
              "contained": [{"resourceType": "Medication", "id": "med1", "code": {"text": "Amoxicillin 250mg"}}],
              "status": "completed",
              "intent": "order",
              "medicationReference": {"reference": "#med1"},
              "subject": {"reference": "Patient/p1"}
            }
            """);

    @Test
    void medication_request_token_code_takes_only_the_codeable_concept_medication() {
        assertThat(evaluate("MedicationRequest", "code", CODED))
                .containsExactly(at(CODED, "/medicationCodeableConcept", "CodeableConcept"));
        assertThat(evaluate("MedicationRequest", "code", REFERENCED)).isEmpty();
    }

    @Test
    void medication_request_reference_medication_takes_only_the_reference_medication() {
        assertThat(evaluate("MedicationRequest", "medication", REFERENCED))
                .containsExactly(at(REFERENCED, "/medicationReference", "Reference"));
        assertThat(evaluate("MedicationRequest", "medication", CODED)).isEmpty();
    }

    @Test
    void medication_request_token_status_and_intent_date_authoredon_reference_requester() {
        assertThat(evaluate("MedicationRequest", "status", CODED)).containsExactly(text("active"));
        assertThat(evaluate("MedicationRequest", "intent", CODED)).containsExactly(text("order"));
        assertThat(evaluate("MedicationRequest", "authoredon", CODED)).containsExactly(text("2024-03-01"));
        assertThat(evaluate("MedicationRequest", "requester", CODED)).containsExactly(at(CODED, "/requester", null));
        assertThat(evaluate("MedicationRequest", "patient", REFERENCED)).containsExactly(at(REFERENCED, "/subject", null));
    }

    // ---- other parameter types

    @Test
    void number_risk_assessment_probability_is_a_decimal_choice() {
        var risk = json("""
                {"resourceType": "RiskAssessment", "status": "final",
                 "prediction": [{"probabilityDecimal": 0.02}, {"probabilityRange": {"low": {"value": 1}, "high": {"value": 5}}}]}""");
        assertThat(evaluate("RiskAssessment", "probability", risk)).containsExactly(
                at(risk, "/prediction/0/probabilityDecimal", "decimal"), at(risk, "/prediction/1/probabilityRange", "Range"));
    }

    @Test
    void composite_molecular_sequence_components_read_the_resource_through_percent_resource() {
        var sequence = json("""
                {"resourceType": "MolecularSequence", "type": "dna", "coordinateSystem": 0,
                 "referenceSeq": {"chromosome": {"coding": [{"code": "1"}]}, "windowStart": 22125500, "windowEnd": 22125510},
                 "variant": [{"start": 22125503, "end": 22125504}, {"start": 22125507, "end": 22125508}]}""");
        List<Item> variants = evaluate("MolecularSequence", "chromosome-variant-coordinate", sequence);
        assertThat(variants).containsExactly(at(sequence, "/variant/0", null), at(sequence, "/variant/1", null));
        var components = OfficialSearchParameters.components("MolecularSequence", "chromosome-variant-coordinate");
        assertThat(components.get(0).evaluate(variants.get(1), sequence))
                .containsExactly(at(sequence, "/referenceSeq/chromosome", null));
        assertThat(components.get(1).evaluate(variants.get(1), sequence)).containsExactly(at(sequence, "/variant/1/start", null));
        assertThat(components.get(2).evaluate(variants.get(1), sequence)).containsExactly(at(sequence, "/variant/1/end", null));
    }

    @Test
    void uri_and_reference_concept_map_source_tell_uri_from_canonical() {
        var byUri = json("""
                {"resourceType": "ConceptMap", "status": "draft", "sourceUri": "http://example.org/fhir/ValueSet/a"}""");
        var byCanonical = json("""
                {"resourceType": "ConceptMap", "status": "draft", "sourceCanonical": "http://example.org/fhir/ValueSet/b"}""");
        assertThat(evaluate("ConceptMap", "source-uri", byUri)).containsExactly(text("http://example.org/fhir/ValueSet/a", "uri"));
        assertThat(evaluate("ConceptMap", "source-uri", byCanonical)).isEmpty();
        assertThat(evaluate("ConceptMap", "source", byCanonical))
                .containsExactly(text("http://example.org/fhir/ValueSet/b", "canonical"));
    }

    @Test
    void reference_bundle_composition_is_the_first_entry_resource() {
        var document = json("""
                {"resourceType": "Bundle", "type": "document", "entry": [
                  {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Composition", "id": "c1", "status": "final"}},
                  {"fullUrl": "urn:uuid:2", "resource": {"resourceType": "Patient", "id": "p1"}}]}""");
        assertThat(evaluate("Bundle", "composition", document)).containsExactly(at(document, "/entry/0/resource", "Composition"));
    }

    @Test
    void token_group_value_takes_a_codeable_concept_or_a_boolean() {
        var group = json("""
                {"resourceType": "Group", "type": "person", "actual": true, "characteristic": [
                  {"code": {"text": "gender"}, "valueCodeableConcept": {"text": "female"}, "exclude": false},
                  {"code": {"text": "smoker"}, "valueBoolean": true, "exclude": false},
                  {"code": {"text": "age"}, "valueQuantity": {"value": 40}, "exclude": false}]}""");
        assertThat(evaluate("Group", "value", group)).containsExactly(
                at(group, "/characteristic/0/valueCodeableConcept", "CodeableConcept"), bool(true));
    }

    @Test
    void reference_related_artifact_filters_on_type() {
        var library = json("""
                {"resourceType": "Library", "status": "active", "type": {"text": "logic-library"}, "relatedArtifact": [
                  {"type": "depends-on", "resource": "http://example.org/fhir/Library/helpers|1.0"},
                  {"type": "documentation", "url": "http://example.org/docs"},
                  {"type": "depends-on", "resource": "http://example.org/fhir/Library/fhir-model"}]}""");
        assertThat(evaluate("Library", "depends-on", library)).containsExactly(
                text("http://example.org/fhir/Library/helpers|1.0"), text("http://example.org/fhir/Library/fhir-model"));
    }
}
