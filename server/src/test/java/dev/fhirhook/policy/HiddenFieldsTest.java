package dev.fhirhook.policy;

import static dev.fhirhook.policy.AccessPolicyTest.created;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Members;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code hiddenFields} and {@code readonlyFields} through HTTP: a hidden field never comes back, by any read
 * (read, vread, search, {@code _elements}, {@code _summary}, {@code _include}, {@code _revinclude}, history,
 * Bundle responses, conditional create, write responses), and survives an update by a caller who cannot see it;
 * a read-only field is restored on update and left out on create; both come from the first entry satisfied.
 */
class HiddenFieldsTest {
    private static final String SECRET_BIRTH_DATE = "1961-02-03";
    private static final String SECRET_FAMILY = "Secretfamily";
    private static final String SECRET_MRN = "mrn-secret-7731";

    private static TestProject project;
    private static Api reader;
    private static String patient;
    private static String observation;

    @BeforeAll
    static void a_patient_with_hidden_fields_and_an_observation_about_it() {
        project = TestServer.get().newProject();
        patient = created(project.api(), "/fhir/R4/Patient", """
                {"resourceType":"Patient","birthDate":"%s","gender":"female","deceasedBoolean":false,
                 "name":[{"family":"%s","given":["Visible"]}],
                 "identifier":[{"system":"urn:mrn","value":"%s"}]}""".formatted(SECRET_BIRTH_DATE, SECRET_FAMILY, SECRET_MRN));
        observation = created(project.api(), "/fhir/R4/Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(patient));
        reader = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Patient","hiddenFields":["birthDate","name.family","identifier.value","deceased"]},
                            {"resourceType":"Observation"}]""")).api();
    }

    /** Nothing hidden anywhere in a response body, whatever shape it has. */
    private static void assertNothingHidden(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isLessThan(300);
        assertThat(reply.body()).doesNotContain(SECRET_BIRTH_DATE).doesNotContain(SECRET_FAMILY).doesNotContain(SECRET_MRN)
                .doesNotContain("deceasedBoolean");
    }

    private static List<JsonNode> patients(JsonNode bundle) {
        var out = new ArrayList<JsonNode>();
        for (JsonNode entry : bundle.path("entry")) {
            if (entry.path("resource").path("resourceType").asText().equals("Patient")) out.add(entry.path("resource"));
        }
        return out;
    }

    private static JsonNode stored() {
        return TestServer.get().admin().get("/fhir/R4/Patient/" + patient).json();
    }

    @Test
    void a_read_and_a_vread_leave_hidden_fields_out_and_keep_the_rest() {
        var read = reader.get("/fhir/R4/Patient/" + patient);
        assertNothingHidden(read);
        var json = read.json();
        assertThat(json.path("gender").asText()).isEqualTo("female");
        assertThat(json.path("name").path(0).path("given").path(0).asText()).isEqualTo("Visible");
        assertThat(json.path("identifier").path(0).path("system").asText()).isEqualTo("urn:mrn");
        assertNothingHidden(reader.get("/fhir/R4/Patient/" + patient + "/_history/" + json.path("meta").path("versionId").asText()));
    }

    @Test
    void searches_leave_hidden_fields_out_with_elements_summary_include_and_revinclude() {
        var search = reader.get("/fhir/R4/Patient?_id=" + patient);
        assertNothingHidden(search);
        assertThat(patients(search.json())).hasSize(1);
        assertNothingHidden(reader.get("/fhir/R4/Patient?_id=" + patient + "&_elements=birthDate,name,identifier,deceased"));
        assertNothingHidden(reader.get("/fhir/R4/Patient?_id=" + patient + "&_summary=true"));
        assertNothingHidden(reader.get("/fhir/R4/Patient?_id=" + patient + "&_summary=data"));
        var include = reader.get("/fhir/R4/Observation?_id=" + observation + "&_include=Observation:subject");
        assertNothingHidden(include);
        assertThat(patients(include.json())).as("the included patient is there, without its hidden fields").hasSize(1);
        var revinclude = reader.get("/fhir/R4/Patient?_id=" + patient + "&_revinclude=Observation:subject");
        assertNothingHidden(revinclude);
        assertThat(revinclude.json().path("entry")).hasSize(2);
        var posted = reader.send(reader.request("/fhir/R4/Patient/_search").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("_id=" + patient)));
        assertNothingHidden(posted);
    }

    @Test
    void history_of_the_instance_and_of_the_type_leaves_hidden_fields_out_of_every_version() {
        var patched = project.api().patch("/fhir/R4/Patient/" + patient, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]");
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        var instance = reader.get("/fhir/R4/Patient/" + patient + "/_history");
        assertNothingHidden(instance);
        assertThat(instance.json().path("entry").size()).isGreaterThanOrEqualTo(2);
        assertNothingHidden(reader.get("/fhir/R4/Patient/_history"));
    }

    @Test
    void bundle_responses_leave_hidden_fields_out_of_reads_searches_and_writes() {
        var batch = reader.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"request":{"method":"GET","url":"Patient/%1$s"}},
                  {"request":{"method":"GET","url":"Patient?_id=%1$s&_elements=birthDate"}},
                  {"request":{"method":"GET","url":"Patient/%1$s/_history"}},
                  {"request":{"method":"PUT","url":"Patient/%1$s"},
                   "resource":{"resourceType":"Patient","id":"%1$s","gender":"female","name":[{"given":["Visible"]}],
                               "identifier":[{"system":"urn:mrn"}]}}]}""".formatted(patient));
        assertNothingHidden(batch);
        assertThat(batch.json().path("entry")).hasSize(4);
        var transaction = reader.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"request":{"method":"GET","url":"Patient/%1$s"}},
                  {"request":{"method":"PATCH","url":"Patient/%1$s"},
                   "resource":{"resourceType":"Binary","contentType":"application/json-patch+json",
                               "data":"%2$s"}}]}""".formatted(patient, java.util.Base64.getEncoder().encodeToString(
                "[{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]".getBytes())));
        assertNothingHidden(transaction);
        assertThat(stored().path("birthDate").asText()).isEqualTo(SECRET_BIRTH_DATE);
    }

    @Test
    void a_conditional_create_that_finds_the_resource_answers_it_without_hidden_fields() {
        var reply = reader.send(reader.request("/fhir/R4/Patient").header("Content-Type", Api.FHIR_JSON)
                .header("If-None-Exist", "_id=" + patient)
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"birthDate\":\"2000-01-01\"}")));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertNothingHidden(reply);
    }

    @Test
    void an_update_by_a_caller_who_cannot_see_hidden_fields_keeps_them_and_does_not_return_them() {
        var seen = reader.get("/fhir/R4/Patient/" + patient).json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) seen).put("gender", "other");
        var update = reader.put("/fhir/R4/Patient/" + patient, seen.toString());
        assertNothingHidden(update);
        var after = stored();
        assertThat(after.path("gender").asText()).isEqualTo("other");
        assertThat(after.path("birthDate").asText()).isEqualTo(SECRET_BIRTH_DATE);
        assertThat(after.path("name").path(0).path("family").asText()).isEqualTo(SECRET_FAMILY);
        assertThat(after.path("identifier").path(0).path("value").asText()).isEqualTo(SECRET_MRN);
        assertThat(after.path("deceasedBoolean").isBoolean()).isTrue();

        // writing a hidden field does not change it either (the stored value is restored)
        var overwrite = reader.patch("/fhir/R4/Patient/" + patient, "[{\"op\":\"add\",\"path\":\"/birthDate\",\"value\":\"2001-01-01\"}]");
        assertNothingHidden(overwrite);
        assertThat(stored().path("birthDate").asText()).isEqualTo(SECRET_BIRTH_DATE);
        var conditional = reader.send(reader.request("/fhir/R4/Patient?_id=" + patient).header("Content-Type", Api.FHIR_JSON)
                .PUT(HttpRequest.BodyPublishers.ofString("""
                        {"resourceType":"Patient","gender":"female","birthDate":"2002-02-02","name":[{"given":["Visible"]}],
                         "identifier":[{"system":"urn:mrn"}]}""")));
        assertNothingHidden(conditional);
        assertThat(stored().path("birthDate").asText()).isEqualTo(SECRET_BIRTH_DATE);
        assertThat(stored().path("gender").asText()).isEqualTo("female");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Patient?birthdate=1961-02-03", "Patient?birthdate=gt1900", "Patient?family=Secretfamily",
            "Patient?name=Secret", "Patient?identifier=urn:mrn%7Cmrn-secret-7731", "Patient?identifier:missing=false",
            "Patient?deceased=false", "Patient?_sort=birthdate", "Patient?gender=female&_sort=-family",
            "Patient?birthdate=1961-02-03&_summary=count", "Patient?birthdate=1961-02-03&_total=accurate",
            "Observation?subject:Patient.birthdate=1961-02-03", "Observation?patient:Patient.family=Secretfamily",
            "Patient?_has:Observation:subject:code=bp&birthdate=1961-02-03"})
    void a_search_that_reads_a_hidden_field_is_403_and_tells_nothing(String query) {
        var reply = reader.get("/fhir/R4/" + query);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(403);
        assertThat(reply.errorCode()).isEqualTo("policy.hidden-field");
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.body()).doesNotContain(patient); // no match, no count
        // whoever may see the field may search by it
        var unrestricted = project.api().get("/fhir/R4/" + query);
        assertThat(unrestricted.status()).as(unrestricted.toString()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Patient?gender=female", "Patient?given=Visible", "Patient?_id=%s", "Patient?_sort=gender",
            "Patient?_lastUpdated=gt2000-01-01", "Observation?subject:Patient.gender=female", "Observation?subject=Patient/%s",
            "Patient?_has:Observation:subject:status=final", "Observation?_include=Observation:subject"})
    void a_search_by_visible_fields_still_works(String query) {
        var reply = reader.get("/fhir/R4/" + query.replace("%s", patient));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("entry")).as(reply.toString()).isNotEmpty();
        assertNothingHidden(reply);
    }

    @Test
    void conditional_interactions_cannot_probe_hidden_fields_either() {
        var create = reader.send(reader.request("/fhir/R4/Patient").header("Content-Type", Api.FHIR_JSON)
                .header("If-None-Exist", "birthdate=1961-02-03")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\"}")));
        assertThat(create.status()).as(create.toString()).isEqualTo(403);
        var update = reader.send(reader.request("/fhir/R4/Patient?birthdate=1961-02-03").header("Content-Type", Api.FHIR_JSON)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"gender\":\"unknown\"}")));
        assertThat(update.status()).as(update.toString()).isEqualTo(403);
        var delete = reader.delete("/fhir/R4/Patient?family=Secretfamily");
        assertThat(delete.status()).as(delete.toString()).isEqualTo(403);
        assertThat(stored().path("gender").asText()).isNotEqualTo("unknown");
        assertThat(project.api().get("/fhir/R4/Patient/" + patient).status()).isEqualTo(200);
    }

    @Test
    void a_field_an_entry_for_other_interactions_hides_is_hidden_from_searches_too() {
        var own = TestServer.get().newProject();
        String id = created(own.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"birthDate\":\"1961-02-03\"}");
        var split = Members.withPolicy(own, Members.policy(own, """
                "resource":[{"resourceType":"Patient","interaction":["read","vread","history","update"],"hiddenFields":["birthDate"]},
                            {"resourceType":"Patient","interaction":["search"]}]""")).api();
        assertThat(split.get("/fhir/R4/Patient/" + id).body()).doesNotContain("1961");
        var search = split.get("/fhir/R4/Patient?_id=" + id);
        assertThat(search.json().path("entry")).as(search.toString()).hasSize(1);
        assertThat(search.body()).doesNotContain("1961");
        assertThat(split.get("/fhir/R4/Patient?birthdate=1961-02-03").status()).isEqualTo(403);
    }

    @Test
    void a_primitive_s_underscore_sibling_is_hidden_and_kept_with_it() {
        var id = created(project.api(), "/fhir/R4/Patient", """
                {"resourceType":"Patient","birthDate":"1961-02-03","_birthDate":{"extension":[{"url":
                 "http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1961-02-03T08:30:00Z"}]},
                 "name":[{"family":"Secretfamily","_family":{"extension":[{"url":"http://example.org/own",
                 "valueString":"Secretfamily"}]},"given":["Visible"]}]}""");
        var seen = reader.get("/fhir/R4/Patient/" + id);
        assertNothingHidden(seen);
        assertThat(seen.body()).doesNotContain("_birthDate").doesNotContain("_family").doesNotContain("08:30");
        var update = reader.put("/fhir/R4/Patient/" + id, seen.body());
        assertNothingHidden(update);
        var after = TestServer.get().admin().get("/fhir/R4/Patient/" + id).json();
        assertThat(after.path("_birthDate").path("extension").path(0).path("valueDateTime").asText())
                .isEqualTo("1961-02-03T08:30:00Z");
        assertThat(after.path("name").path(0).path("_family").path("extension").path(0).path("valueString").asText())
                .isEqualTo(SECRET_FAMILY);
    }

    @Test
    void a_writer_cannot_erase_hidden_values_by_sending_a_value_of_another_shape() {
        var id = created(project.api(), "/fhir/R4/Patient", """
                {"resourceType":"Patient","name":[{"family":"Keepme","given":["Ed"]}],"identifier":[{"system":"urn:ssn","value":"111"}]}""");
        var before = TestServer.get().admin().get("/fhir/R4/Patient/" + id).json();
        for (String fields : List.of("\"name\":\"x\"", "\"name\":{\"given\":[\"Ed\"]}", "\"identifier\":true",
                "\"identifier\":{\"system\":\"urn:ssn\"}")) {
            var put = reader.put("/fhir/R4/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"%s\",%s}".formatted(id, fields));
            assertThat(put.status()).as(fields + ": " + put).isEqualTo(403);
        }
        var patch = reader.patch("/fhir/R4/Patient/" + id, "[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"gone\"}]");
        assertThat(patch.status()).as(patch.toString()).isEqualTo(403);
        assertThat(TestServer.get().admin().get("/fhir/R4/Patient/" + id).json()).isEqualTo(before);
    }

    @Test
    void hidden_values_inside_array_elements_stay_with_their_element_when_the_writer_reorders_or_edits() {
        var id = created(project.api(), "/fhir/R4/Patient", """
                {"resourceType":"Patient","name":[{"family":"Hiddenone","given":["Ann"]},{"family":"Hiddentwo","given":["Bea"]}]}""");
        var seen = (com.fasterxml.jackson.databind.node.ObjectNode) reader.get("/fhir/R4/Patient/" + id).json();
        var names = (com.fasterxml.jackson.databind.node.ArrayNode) seen.get("name");
        var first = names.remove(0);
        names.add(first); // Bea, Ann
        ((com.fasterxml.jackson.databind.node.ObjectNode) names.get(0)).putArray("given").add("Beatrice");
        var update = reader.put("/fhir/R4/Patient/" + id, seen.toString());
        assertThat(update.status()).as(update.toString()).isEqualTo(200);
        assertThat(update.body()).doesNotContain("Hiddenone").doesNotContain("Hiddentwo");
        var after = TestServer.get().admin().get("/fhir/R4/Patient/" + id).json().path("name");
        assertThat(after.path(0).path("given").path(0).asText()).isEqualTo("Beatrice");
        assertThat(after.path(0).path("family").asText()).isEqualTo("Hiddentwo");
        assertThat(after.path(1).path("given").path(0).asText()).isEqualTo("Ann");
        assertThat(after.path(1).path("family").asText()).isEqualTo("Hiddenone");
    }

    @Test
    void a_writer_cannot_erase_hidden_values_by_removing_the_elements_that_hold_them() {
        var id = created(project.api(), "/fhir/R4/Patient", """
                {"resourceType":"Patient","gender":"male","name":[{"family":"Keepme","given":["Cy"]},{"given":["Di"]}]}""");
        var before = TestServer.get().admin().get("/fhir/R4/Patient/" + id).json();
        for (String body : List.of(
                "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"gender\":\"other\"}",
                "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"gender\":\"other\",\"name\":[{\"given\":[\"Di\"]}]}")) {
            var refused = reader.put("/fhir/R4/Patient/" + id, body.formatted(id));
            assertThat(refused.status()).as(refused.toString()).isEqualTo(403);
            assertThat(refused.body()).contains("Cannot remove name[0]").doesNotContain("Keepme");
        }
        var patch = reader.patch("/fhir/R4/Patient/" + id, "[{\"op\":\"remove\",\"path\":\"/name/0\"}]");
        assertThat(patch.status()).as(patch.toString()).isEqualTo(403);
        assertThat(TestServer.get().admin().get("/fhir/R4/Patient/" + id).json()).isEqualTo(before);
        // the element without a hidden value may go
        var allowed = reader.patch("/fhir/R4/Patient/" + id, "[{\"op\":\"remove\",\"path\":\"/name/1\"}]");
        assertThat(allowed.status()).as(allowed.toString()).isEqualTo(200);
        assertThat(TestServer.get().admin().get("/fhir/R4/Patient/" + id).json().path("name"))
                .hasSize(1).first().satisfies(n -> assertThat(n.path("family").asText()).isEqualTo("Keepme"));
    }

    @Test
    void a_created_resource_cannot_carry_hidden_or_read_only_fields() {
        var writer = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Practitioner","hiddenFields":["birthDate"],"readonlyFields":["gender","name.given"]}]""")).api();
        var reply = writer.post("/fhir/R4/Practitioner", """
                {"resourceType":"Practitioner","birthDate":"1950-01-01","gender":"male","name":[{"family":"F","given":["G"]}],"active":true}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        var stored = TestServer.get().admin().get("/fhir/R4/Practitioner/" + reply.json().path("id").asText()).json();
        assertThat(stored.has("birthDate")).isFalse();
        assertThat(stored.has("gender")).isFalse();
        assertThat(stored.path("name").path(0).has("given")).isFalse();
        assertThat(stored.path("name").path(0).path("family").asText()).isEqualTo("F");
        assertThat(stored.path("active").asBoolean()).isTrue();
    }

    @Test
    void a_resource_created_under_criteria_loses_the_fields_of_the_entry_it_satisfies() {
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Device","criteria":"Device?status=active","readonlyFields":["manufacturer"]},
                            {"resourceType":"Device","criteria":"Device?status=inactive","readonlyFields":["serialNumber"]}]""")).api();
        String body = "{\"resourceType\":\"Device\",\"status\":\"%s\",\"manufacturer\":\"m\",\"serialNumber\":\"s\"}";
        var active = TestServer.get().admin().get("/fhir/R4/Device/" + created(api, "/fhir/R4/Device", body.formatted("active"))).json();
        assertThat(active.has("manufacturer")).isFalse();
        assertThat(active.path("serialNumber").asText()).isEqualTo("s");
        var inactive = TestServer.get().admin().get("/fhir/R4/Device/" + created(api, "/fhir/R4/Device", body.formatted("inactive"))).json();
        assertThat(inactive.path("manufacturer").asText()).isEqualTo("m");
        assertThat(inactive.has("serialNumber")).isFalse();
        var history = TestServer.get().admin().get("/fhir/R4/Device/" + inactive.path("id").asText() + "/_history").json();
        assertThat(history.path("entry")).as("corrected in place, not a second version").hasSize(1);
        assertThat(history.path("entry").path(0).path("resource").has("serialNumber")).isFalse();
        var indexed = TestServer.get().admin().get("/fhir/R4/Device?manufacturer=m&_summary=count&_id=" + active.path("id").asText());
        assertThat(indexed.status()).as(indexed.toString()).isEqualTo(200);
        assertThat(indexed.json().path("total").asInt()).as("the index follows the corrected version").isZero();

        var uniform = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Device","criteria":"Device?status=active","hiddenFields":["lotNumber"]}]""")).api();
        String id = created(uniform, "/fhir/R4/Device", "{\"resourceType\":\"Device\",\"status\":\"active\",\"lotNumber\":\"l\"}");
        assertThat(TestServer.get().admin().get("/fhir/R4/Device/" + id).json().has("lotNumber")).isFalse();
    }

    @Test
    void read_only_fields_are_visible_and_keep_their_stored_value_on_update_and_patch() {
        String id = created(project.api(), "/fhir/R4/Practitioner", """
                {"resourceType":"Practitioner","gender":"male","name":[{"family":"F","given":["G"]}],"active":true}""");
        var writer = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Practitioner","readonlyFields":["gender","name.given"]}]""")).api();
        var read = writer.get("/fhir/R4/Practitioner/" + id).json();
        assertThat(read.path("gender").asText()).isEqualTo("male");
        var update = writer.put("/fhir/R4/Practitioner/" + id, """
                {"resourceType":"Practitioner","id":"%s","gender":"female","name":[{"family":"H","given":["X"]}],"active":false}"""
                .formatted(id));
        assertThat(update.status()).as(update.toString()).isEqualTo(200);
        assertThat(update.json().path("gender").asText()).isEqualTo("male");
        assertThat(update.json().path("name").path(0).path("given").path(0).asText()).isEqualTo("G");
        assertThat(update.json().path("name").path(0).path("family").asText()).isEqualTo("H");
        assertThat(update.json().path("active").asBoolean()).isFalse();
        var patch = writer.patch("/fhir/R4/Practitioner/" + id, "[{\"op\":\"remove\",\"path\":\"/gender\"}]");
        assertThat(patch.status()).as(patch.toString()).isEqualTo(200);
        assertThat(patch.json().path("gender").asText()).isEqualTo("male");
    }

    @Test
    void hidden_and_read_only_fields_come_from_the_first_entry_the_resource_satisfies() {
        String active = created(project.api(), "/fhir/R4/RelatedPerson", """
                {"resourceType":"RelatedPerson","active":true,"patient":{"reference":"Patient/%s"},"gender":"male","birthDate":"1980-01-01"}"""
                .formatted(patient));
        String inactive = created(project.api(), "/fhir/R4/RelatedPerson", """
                {"resourceType":"RelatedPerson","active":false,"patient":{"reference":"Patient/%s"},"gender":"male","birthDate":"1980-01-01"}"""
                .formatted(patient));
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"RelatedPerson","criteria":"RelatedPerson?active=true","hiddenFields":["birthDate"]},
                            {"resourceType":"RelatedPerson","hiddenFields":["gender"]}]""")).api();
        var first = api.get("/fhir/R4/RelatedPerson/" + active).json();
        assertThat(first.has("birthDate")).isFalse();
        assertThat(first.path("gender").asText()).isEqualTo("male");
        var second = api.get("/fhir/R4/RelatedPerson/" + inactive).json();
        assertThat(second.has("gender")).isFalse();
        assertThat(second.path("birthDate").asText()).isEqualTo("1980-01-01");

        var search = api.get("/fhir/R4/RelatedPerson?_count=10");
        for (JsonNode entry : search.json().path("entry")) {
            var r = entry.path("resource");
            boolean isActive = r.path("active").asBoolean();
            assertThat(r.has(isActive ? "birthDate" : "gender")).as(r.toString()).isFalse();
            assertThat(r.has(isActive ? "gender" : "birthDate")).as(r.toString()).isTrue();
        }
        assertThat(search.json().path("entry")).hasSize(2);
        var history = api.get("/fhir/R4/RelatedPerson/_history").json();
        for (JsonNode entry : history.path("entry")) {
            var r = entry.path("resource");
            assertThat(r.has(r.path("active").asBoolean() ? "birthDate" : "gender")).as(r.toString()).isFalse();
        }
        var include = api.get("/fhir/R4/Patient?_id=" + patient + "&_revinclude=RelatedPerson:patient");
        assertThat(include.status()).as("Patient is not in this policy: " + include).isEqualTo(403);
    }
}
