package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed searches: each is a 400 OperationOutcome naming the parameter, hostile values never match what
 * they should not and never fail the server, and the server stays healthy.
 */
class SearchBadInputTest {
    static FhirClient fhir;
    static String patient;
    static String observation;
    static String valueSet;

    @BeforeAll
    static void data() {
        // read-only data shared by the parameterised cases; every case leaves it untouched
        fhir = FhirClient.inNewProject();
        patient = fhir.create("""
                {"resourceType":"Patient","name":[{"family":"Plain","given":["Zoë 😀"]}],"birthDate":"1990-01-01","gender":"female",
                 "identifier":[{"system":"http://ids.example","value":"plain-1"}]}""");
        observation = fhir.create("""
                {"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1234-5"}]},
                 "subject":{"reference":"Patient/%s"},"valueQuantity":{"value":5,"system":"http://unitsofmeasure.org","code":"mg"},
                 "effectiveDateTime":"2024-01-01T10:00:00Z"}""".formatted(patient));
        fhir.create("""
                {"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/%s"},"prediction":[{"probabilityDecimal":0.5}]}"""
                .formatted(patient));
        valueSet = fhir.create("{\"resourceType\":\"ValueSet\",\"status\":\"active\",\"url\":\"http://acme.org/vs\"}");
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                // type, parameter, value, the name the outcome must give
                Arguments.of("Patient", "no-such-param", "x", "no-such-param"),
                Arguments.of("Patient", "birthdate", "yesterday", "birthdate"),
                Arguments.of("Patient", "birthdate", "2020-13-45", "birthdate"),
                Arguments.of("Patient", "birthdate", "2020-02-30", "birthdate"),
                Arguments.of("Patient", "birthdate", "20200101", "birthdate"),
                Arguments.of("Patient", "birthdate", "2020-01-01T25:00Z", "birthdate"),
                Arguments.of("Patient", "birthdate", "2020-01-01T10:00+99:00", "birthdate"),
                Arguments.of("RiskAssessment", "probability", "abc", "probability"),
                Arguments.of("RiskAssessment", "probability", ".5", "probability"),
                Arguments.of("RiskAssessment", "probability", "1" + "0".repeat(100), "probability"),
                Arguments.of("Observation", "value-quantity", "abc|http://unitsofmeasure.org|mg", "value-quantity"),
                Arguments.of("Observation", "value-quantity", "5|a|b|c", "value-quantity"),
                Arguments.of("Patient", "birthdate", "xx2020", "birthdate"),
                Arguments.of("RiskAssessment", "probability", "xx0.5", "probability"),
                Arguments.of("Patient", "_lastUpdated", "yesterday", "_lastUpdated"),
                Arguments.of("Patient", "birthdate:exact", "2020", "birthdate:exact"),
                Arguments.of("Patient", "name:not", "x", "name:not"),
                Arguments.of("Patient", "gender:exact", "male", "gender:exact"),
                Arguments.of("Patient", "name:below", "x", "name:below"),
                Arguments.of("RiskAssessment", "probability:missing", "maybe", "probability:missing"),
                Arguments.of("Patient", "_id:exact", "x", "_id:exact"),
                Arguments.of("Patient", "identifier:of-type", "a|b", "identifier:of-type"),
                Arguments.of("Patient", "identifier", "a|b|c", "identifier"),
                Arguments.of("Observation", "subject:NoSuchType", "1", "subject:NoSuchType"),
                Arguments.of("Observation", "subject:Patient.organization.name", "x", "subject:Patient.organization.name"),
                Arguments.of("Observation", "subject.name", "x", "subject.name"),
                Arguments.of("Patient", "name.family", "x", "name.family"),
                Arguments.of("Observation", "subject:Patient.no-such-param", "x", "subject:Patient.no-such-param"),
                Arguments.of("Observation", "code-value-quantity", "1234-5", "code-value-quantity"), // composites need every part
                Arguments.of("Patient", "name", "", "name"),
                Arguments.of("Patient", "name", "a,,b", "name"),
                Arguments.of("Patient", "_count", "-1", "_count"),
                Arguments.of("Patient", "_count", "100000", "_count"),
                Arguments.of("Patient", "_count", "ten", "_count"),
                Arguments.of("Patient", "_offset", "-1", "_offset"),
                Arguments.of("Patient", "_sort", "unknown", "_sort"),
                Arguments.of("Patient", "_sort", "-", "_sort"),
                Arguments.of("Patient", "_total", "maybe", "_total"),
                Arguments.of("Patient", "_summary", "bogus", "_summary"),
                Arguments.of("Patient", "_elements", "name.family", "_elements"),
                Arguments.of("Patient", "_include", "Foo:bar", "_include"),
                Arguments.of("Patient", "_include", "Patient:name", "_include"),
                Arguments.of("Patient", "_include", "Patient", "_include"),
                Arguments.of("Patient", "_revinclude", "Observation:nope", "_revinclude"),
                Arguments.of("Patient", "_has:Observation:patient", "x", "_has:Observation:patient"),
                Arguments.of("Patient", "_has:NoSuchType:patient:code", "x", "_has:NoSuchType:patient:code"),
                Arguments.of("Patient", "_has:Observation:nope:code", "x", "_has:Observation:nope:code"),
                Arguments.of("Patient", "_has:Observation:code:code", "x", "_has:Observation:code:code"),
                Arguments.of("Patient", "_has:Observation:patient:nope", "x", "_has:Observation:patient:nope"),
                Arguments.of("Patient", "_has:Observation:patient:_has:Observation:patient:code", "x", "_has"),
                Arguments.of("Patient", "nämé😀", "x", "nämé😀"),
                Arguments.of("Patient", "birthdate", "2020😀", "birthdate"),
                Arguments.of("RiskAssessment", "probability", "0.5😀", "probability"),
                Arguments.of("Patient", "birthdate", "' or 1=1 --", "birthdate"),
                Arguments.of("RiskAssessment", "probability", "' or 1=1 --", "probability"),
                Arguments.of("Observation", "value-quantity", "' or 1=1 --", "value-quantity"),
                Arguments.of("Observation", "value-quantity", "%", "value-quantity"),
                Arguments.of("Patient", "_lastUpdated", "%", "_lastUpdated"));
    }

    @ParameterizedTest(name = "{0}?{1}={2}")
    @MethodSource("rejected")
    void malformed_searches_are_400_naming_the_parameter(String type, String name, String value, String named) {
        var reply = fhir.search(type, name, value);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.errorCode()).isNotBlank();
        assertThat(reply.outcomeText()).as(reply.toString()).contains(named);
        assertHealthy();
    }

    @Test
    void unknown_parameters_are_400_without_lenient_handling_and_name_each_one() {
        var reply = fhir.search("Patient", "family", "plain", "bogus", "1");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.outcomeText()).contains("bogus");
        assertThat(reply.json().path("issue").path(0).path("expression").path(0).asText()).isEqualTo("bogus");
    }

    @Test
    void search_on_an_unknown_type_is_400() {
        var reply = fhir.api().get("/fhir/R4/NoSuchType?name=x");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertHealthy();
    }

    static Stream<Arguments> hostile() {
        var values = List.of("' or 1=1 --", "'; drop table resource; --", "%", "_", "\\", "%25", "*", "\"", "😀", "Zoë",
                "x".repeat(5000));
        var params = List.of(
                new String[] {"Patient", "name"}, new String[] {"Patient", "name:exact"}, new String[] {"Patient", "name:contains"},
                new String[] {"Patient", "identifier"}, new String[] {"Patient", "identifier:not"}, new String[] {"Observation", "code:text"},
                new String[] {"Patient", "gender"}, new String[] {"Observation", "subject"}, new String[] {"Observation", "subject:identifier"},
                new String[] {"ValueSet", "url"}, new String[] {"ValueSet", "url:below"}, new String[] {"ValueSet", "url:above"},
                new String[] {"Patient", "_id"}, new String[] {"Observation", "value-quantity"}, new String[] {"Patient", "_tag"},
                new String[] {"Patient", "birthdate"}, new String[] {"RiskAssessment", "probability"});
        return params.stream().flatMap(p -> values.stream().map(v -> Arguments.of(p[0], p[1], v)));
    }

    @ParameterizedTest(name = "{0}?{1}=<{2}>")
    @MethodSource("hostile")
    void hostile_values_match_nothing_or_are_400_never_500(String type, String name, String value) {
        var reply = fhir.search(type, name, value);
        assertThat(reply.status()).as(reply.toString()).isIn(200, 400);
        assertThat(reply.json().path("resourceType").asText()).isIn("Bundle", "OperationOutcome");
        if (reply.status() == 200) {
            var matches = FhirClient.matchIds(reply.json());
            if (name.endsWith(":not")) {
                assertThat(matches).containsExactly(patient);
            } else if (name.equals("name") && value.equals("Zoë")) {
                assertThat(matches).containsExactly(patient);
            } else if (name.equals("name:contains") && (value.equals("😀") || value.equals("Zoë"))) {
                assertThat(matches).containsExactly(patient);
            } else {
                assertThat(matches).as("no false matches").isEmpty();
            }
        } else {
            assertThat(reply.outcomeText()).contains(name.contains(":") ? name.substring(0, name.indexOf(':')) : name);
        }
    }

    @Test
    void a_nul_character_in_a_search_value_is_400_naming_the_parameter() {
        for (String[] search : List.of(
                new String[] {"Patient", "name"}, new String[] {"Patient", "identifier"}, new String[] {"Observation", "subject"},
                new String[] {"ValueSet", "url"}, new String[] {"Patient", "_id"})) {
            var reply = fhir.search(search[0], search[1], "a\u0000b");
            assertThat(reply.status()).as(search[1] + " -> " + reply).isEqualTo(400);
            assertThat(reply.outcomeText()).as(search[1] + " -> " + reply).contains(search[1]);
        }
        assertHealthy();
    }

    @Test
    void emoji_and_accents_are_searchable() {
        assertThat(fhir.ids("Patient", "given", "zoe 😀")).containsExactly(patient);
        assertThat(fhir.ids("Patient", "given:exact", "Zoë 😀")).containsExactly(patient);
        assertThat(fhir.ids("Patient", "given:contains", "😀")).containsExactly(patient);
    }

    @Test
    void a_resource_with_a_nul_character_is_stored_or_refused_cleanly() {
        var reply = fhir.api().post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"nul\\u0000byte\"}]}");
        assertThat(reply.status()).as(reply.toString()).isIn(201, 400);
        assertHealthy();
        if (reply.status() == 201) {
            String id = reply.json().get("id").asText();
            assertThat(fhir.api().delete("/fhir/R4/Patient/" + id).status()).isEqualTo(200);
        }
    }

    @Test
    void ten_thousand_repeated_parameters_are_refused() {
        var body = new StringBuilder();
        for (int i = 0; i < 10_000; i++) body.append(i == 0 ? "" : "&").append("name=a");
        var post = fhir.api().raw("POST", "/fhir/R4/Patient/_search", "application/x-www-form-urlencoded",
                body.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(post.status()).as(post.toString()).isEqualTo(400);
        assertThat(post.json().path("resourceType").asText()).isEqualTo("OperationOutcome");

        // 70 kB of query string is refused by the HTTP layer before any parsing: URI Too Long is the clean answer there
        var get = fhir.api().get("/fhir/R4/Patient?" + body);
        assertThat(get.status()).as(get.toString()).isIn(400, 414);
        assertThat(get.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertHealthy();
    }

    @Test
    void more_criteria_than_allowed_are_400_naming_the_parameter() {
        var body = new StringBuilder();
        for (int i = 0; i < 150; i++) body.append(i == 0 ? "" : "&").append("name=a");
        var reply = fhir.api().get("/fhir/R4/Patient?" + body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).contains("name");

        var values = String.join(",", java.util.Collections.nCopies(150, "a"));
        var many = fhir.search("Patient", "name", values);
        assertThat(many.status()).isEqualTo(400);
        assertThat(many.outcomeText()).contains("name");
        assertHealthy();
    }

    @Test
    void parameters_that_may_be_given_once_are_400_when_repeated() {
        for (String name : List.of("_count", "_sort", "_total", "_summary", "_elements", "_offset")) {
            var reply = fhir.api().get("/fhir/R4/Patient?" + name + "=1&" + name + "=1");
            assertThat(reply.status()).as(name + " " + reply).isEqualTo(400);
            assertThat(reply.outcomeText()).contains(name);
        }
    }

    @Test
    void known_parameters_the_server_cannot_evaluate_are_400_not_silently_empty() {
        for (String name : List.of("_text", "_content", "_query")) {
            var reply = fhir.search("Patient", name, "plain");
            assertThat(reply.status()).as(name + " " + reply).isEqualTo(400);
            assertThat(reply.outcomeText()).contains(name);
        }
    }

    @Test
    void extreme_but_valid_numbers_and_dates_do_not_fail() {
        for (String[] search : List.of(
                new String[] {"RiskAssessment", "probability", "1e999"},
                new String[] {"RiskAssessment", "probability", "ap1e999"},
                new String[] {"RiskAssessment", "probability", "1e-999"},
                new String[] {"RiskAssessment", "probability", "-0"},
                new String[] {"Patient", "birthdate", "ap0001"},
                new String[] {"Patient", "birthdate", "ap9999-12-31"},
                new String[] {"Patient", "birthdate", "eb0001-01-01"},
                new String[] {"Patient", "birthdate", "sa9999"},
                new String[] {"Patient", "_lastUpdated", "ap0001-01-01T00:00:00Z"},
                new String[] {"Patient", "_lastUpdated", "ap9999-12-31T23:59:59.999999999Z"},
                new String[] {"Patient", "_offset", "10000"})) {
            var reply = fhir.search(search[0], search[1], search[2]);
            assertThat(reply.status()).as(String.join(" ", search) + " -> " + reply).isEqualTo(200);
            assertThat(FhirClient.matchIds(reply.json())).as(String.join(" ", search)).isEmpty();
        }
        assertThat(fhir.ids("Patient", "_count", "1000")).contains(patient);
        assertHealthy();
    }

    private static void assertHealthy() {
        Api.Reply health = fhir.api().get("/healthcheck");
        assertThat(health.status()).isEqualTo(200);
        assertThat(fhir.ids("Patient", "identifier", "http://ids.example|plain-1")).containsExactly(patient);
    }
}
