package dev.fhirhook.policy;

import static dev.fhirhook.policy.AccessPolicyTest.assertForbidden;
import static dev.fhirhook.policy.AccessPolicyTest.created;
import static dev.fhirhook.policy.AccessPolicyTest.ids;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Members;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.util.Base64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Attacks on AccessPolicy enforcement (issue 4, item 5): policies whose criteria try to reach another project,
 * malformed policies on every write path, stored policies that cannot be enforced, searches probing types or
 * resources the policy keeps out (chains, {@code _has}, {@code _include}), and conditional writes aimed at
 * resources outside the criteria.
 */
class PolicyAttackTest {

    private static void assertInvalid(Api.Reply reply, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.outcomeText()).as(reply.toString()).startsWith("Invalid AccessPolicy " + field + ": ");
        assertThat(reply.errorCode()).isEqualTo("policy.invalid-access-policy");
    }

    private static int total(Api api, String search) {
        var reply = api.get(search + (search.contains("?") ? "&" : "?") + "_summary=count");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("total").asInt();
    }

    @Test
    void criteria_naming_another_projects_resources_reveal_nothing() {
        var victim = TestServer.get().newProject();
        String victimPatient = created(victim.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
        String victimObservation = created(victim.api(), "/fhir/R4/Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(victimPatient));
        var attacker = TestServer.get().newProject();
        created(attacker.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");

        var byId = Members.withPolicy(attacker, Members.policy(attacker, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?_id=%1$s"},
                            {"resourceType":"Observation","criteria":"Observation?subject=Patient/%1$s"},
                            {"resourceType":"Encounter","criteria":"Encounter?_has:Observation:encounter:_id=%2$s"}]"""
                .formatted(victimPatient, victimObservation))).api();
        assertThat(byId.get("/fhir/R4/Patient/" + victimPatient).status()).isEqualTo(404);
        assertThat(total(byId, "/fhir/R4/Patient")).isZero();
        assertThat(total(byId, "/fhir/R4/Patient?_id=" + victimPatient)).isZero();
        assertThat(total(byId, "/fhir/R4/Observation")).isZero();
        assertThat(byId.get("/fhir/R4/Observation/" + victimObservation).status()).isEqualTo(404);
        assertThat(byId.get("/fhir/R4/Patient/_history").json().path("entry")).isEmpty();
        assertThat(total(byId, "/fhir/R4/Encounter")).isZero();

        // _project is no search parameter: refused when a project client writes it, and a stored one denies
        var written = attacker.api().post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":"Patient?_project=%s"}]}"""
                .formatted(victim.projectId()));
        assertInvalid(written, "resource[0].criteria");
        var byProject = Members.withPolicy(attacker, Members.policy(attacker, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?_project=%s"}]""".formatted(victim.projectId()))).api();
        assertForbidden(byProject.get("/fhir/R4/Patient"));
        assertForbidden(byProject.get("/fhir/R4/Patient/" + victimPatient));
        assertThat(victim.api().get("/fhir/R4/Patient/" + victimPatient).status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            criteria of another type      | [{"resourceType":"Patient"},{"resourceType":"Patient","criteria":"Observation?code=x"}]  | resource[1].criteria
            criteria without a type       | [{"resourceType":"Patient","criteria":"active=true"}]                                     | resource[0].criteria
            unknown search parameter      | [{"resourceType":"Patient","criteria":"Patient?nonsense=1"}]                              | resource[0].criteria
            unparsable value              | [{"resourceType":"Patient","criteria":"Patient?birthdate=yesterday"}]                     | resource[0].criteria
            result parameter              | [{"resourceType":"Patient","criteria":"Patient?_count=1"}]                                | resource[0].criteria
            nothing after the type        | [{"resourceType":"Patient","criteria":"Patient?"}]                                        | resource[0].criteria
            criteria on star              | [{"resourceType":"*","criteria":"*?_id=1"}]                                               | resource[0].criteria
            unknown resource type         | [{"resourceType":"Patient"},{"resourceType":"Patiente"}]                                  | resource[1].resourceType
            missing resource type         | [{"criteria":"Patient?active=true"}]                                                      | resource[0].resourceType
            unknown interaction           | [{"resourceType":"Patient","interaction":["read","patch"]}]                               | resource[0].interaction[1]
            field path that is no path    | [{"resourceType":"Patient","hiddenFields":["name..family"]}]                              | resource[0].hiddenFields[0]
            hiding the id                 | [{"resourceType":"Patient","readonlyFields":["id"]}]                                      | resource[0].readonlyFields[0]
            constraints not enforced here | [{"resourceType":"Patient","writeConstraint":[{"language":"text/fhirpath","expression":"true"}]}] | resource[0].writeConstraint
            resource not a list           | {"resourceType":"Patient"}                                                                | resource
            """)
    void a_malformed_resource_entry_is_refused_on_create_naming_the_field(String what, String resources, String field) {
        var project = TestServer.get().newProject();
        assertInvalid(project.api().post("/fhir/R4/AccessPolicy", "{\"resourceType\":\"AccessPolicy\",\"resource\":" + resources + "}"), field);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not an address      | [{"value":"10.0.0.300","action":"allow"}]                          | ipAccessRule[0].value
            prefix too long     | [{"value":"*","action":"allow"},{"value":"10.0.0.0/33","action":"block"}] | ipAccessRule[1].value
            unknown action      | [{"value":"10.0.0.0/8","action":"deny"}]                           | ipAccessRule[0].action
            no value            | [{"action":"block"}]                                               | ipAccessRule[0].value
            """)
    void a_malformed_ip_rule_is_refused_naming_the_field(String what, String rules, String field) {
        var project = TestServer.get().newProject();
        assertInvalid(project.api().post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient"}],"ipAccessRule":%s}""".formatted(rules)), field);
    }

    @Test
    void a_malformed_policy_is_refused_on_update_patch_conditional_update_and_in_bundles_and_nothing_is_stored() {
        var project = TestServer.get().newProject();
        var api = project.api();
        String id = created(api, "/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","name":"good","resource":[{"resourceType":"Patient","criteria":"Patient?active=true"}]}""");
        String bad = "{\"resourceType\":\"AccessPolicy\",\"id\":\"" + id + "\",\"resource\":[{\"resourceType\":\"Patient\",\"criteria\":\"Patient?x=1\"}]}";
        assertInvalid(api.put("/fhir/R4/AccessPolicy/" + id, bad), "resource[0].criteria");
        assertInvalid(api.patch("/fhir/R4/AccessPolicy/" + id,
                "[{\"op\":\"add\",\"path\":\"/resource/-\",\"value\":{\"resourceType\":\"Patient\",\"criteria\":\"Observation?code=1\"}}]"),
                "resource[1].criteria");
        assertInvalid(api.send(api.request("/fhir/R4/AccessPolicy?name=good").header("Content-Type", Api.FHIR_JSON)
                .PUT(HttpRequest.BodyPublishers.ofString(bad))), "resource[0].criteria");

        var transaction = api.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}},
                  {"request":{"method":"POST","url":"AccessPolicy"},
                   "resource":{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":"Patient?_count=5"}]}}]}""");
        assertThat(transaction.status()).as(transaction.toString()).isEqualTo(400);
        assertThat(transaction.outcomeText()).startsWith("Invalid AccessPolicy resource[0].criteria");
        var batch = api.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"request":{"method":"PATCH","url":"AccessPolicy/%s"},
                   "resource":{"resourceType":"Binary","contentType":"application/json-patch+json","data":"%s"}}]}"""
                .formatted(id, Base64.getEncoder().encodeToString(
                        "[{\"op\":\"replace\",\"path\":\"/resource/0/criteria\",\"value\":\"Invoice?status=x\"}]".getBytes())));
        assertThat(batch.json().path("entry").path(0).path("response").path("status").asText()).isEqualTo("400");

        assertThat(total(api, "/fhir/R4/Patient")).as("the transaction was rolled back").isZero();
        var stored = api.get("/fhir/R4/AccessPolicy/" + id).json();
        assertThat(stored.path("resource")).hasSize(1);
        assertThat(stored.path("resource").path(0).path("criteria").asText()).isEqualTo("Patient?active=true");
        assertThat(stored.path("meta").path("versionId").asText())
                .isEqualTo(api.get("/fhir/R4/AccessPolicy/" + id + "/_history").json().path("entry").path(0).path("resource")
                        .path("meta").path("versionId").asText());
    }

    @Test
    void a_valid_policy_with_parameters_is_accepted_when_written() {
        var project = TestServer.get().newProject();
        created(project.api(), "/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","resource":[
                  {"resourceType":"Observation","criteria":"Observation?subject=%patient&date=ge%since","hiddenFields":["note.text"]},
                  {"resourceType":"Patient","criteria":"Patient?_id=%patient.id","readonly":true},
                  {"resourceType":"Encounter","compartment":{"reference":"%patient"},"interaction":["read","search"]}],
                 "ipAccessRule":[{"name":"office","value":"2001:db8::/32","action":"allow"},{"value":"10.1","action":"block"}]}""");
    }

    @Test
    void a_stored_policy_that_cannot_be_enforced_denies_the_types_it_names_and_no_others() {
        var project = TestServer.get().newProject();
        String patient = created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
        created(project.api(), "/fhir/R4/Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"issued\"}");
        // stored by the super admin, as a policy written before validation existed would be
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Patient","criteria":"Observation?code=x"},{"resourceType":"Patient"},
                            {"resourceType":"Invoice"}]""")).api();
        assertForbidden(api.get("/fhir/R4/Patient"));
        assertForbidden(api.get("/fhir/R4/Patient/" + patient));
        assertForbidden(api.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"));
        assertThat(total(api, "/fhir/R4/Invoice")).isEqualTo(1);
    }

    @Test
    void a_search_cannot_probe_denied_types_or_resources_outside_the_criteria_through_chains_has_or_includes() {
        var project = TestServer.get().newProject();
        String hidden = created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":false,\"name\":[{\"family\":\"Probe\"}]}");
        String observation = created(project.api(), "/fhir/R4/Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"hiv"},"subject":{"reference":"Patient/%s"}}""".formatted(hidden));

        var observationsOnly = Members.withPolicy(project, Members.policy(project, "\"resource\":[{\"resourceType\":\"Observation\"}]")).api();
        assertForbidden(observationsOnly.get("/fhir/R4/Observation?subject:Patient.name=Probe"));
        var include = observationsOnly.get("/fhir/R4/Observation?_id=" + observation + "&_include=Observation:subject");
        assertThat(include.status()).as(include.toString()).isEqualTo(200);
        assertThat(include.json().path("entry")).hasSize(1);
        assertThat(include.body()).doesNotContain("Probe");

        var patientsOnly = Members.withPolicy(project, Members.policy(project, "\"resource\":[{\"resourceType\":\"Patient\"}]")).api();
        assertForbidden(patientsOnly.get("/fhir/R4/Patient?_has:Observation:subject:code=hiv"));
        var revinclude = patientsOnly.get("/fhir/R4/Patient?_id=" + hidden + "&_revinclude=Observation:subject");
        assertThat(revinclude.json().path("entry")).hasSize(1);

        var activeOnly = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Observation"},{"resourceType":"Patient","criteria":"Patient?active=true"}]""")).api();
        assertThat(total(activeOnly, "/fhir/R4/Observation?subject:Patient.name=Probe")).as("the chain sees only allowed Patients").isZero();
        assertThat(total(activeOnly, "/fhir/R4/Observation")).isEqualTo(1);
        var included = activeOnly.get("/fhir/R4/Observation?_include=Observation:subject");
        assertThat(included.json().path("entry")).hasSize(1);
        assertThat(total(activeOnly, "/fhir/R4/Patient?_has:Observation:subject:code=hiv")).isZero();
    }

    @Test
    void conditional_writes_cannot_reach_resources_outside_the_criteria() {
        var project = TestServer.get().newProject();
        String outside = created(project.api(), "/fhir/R4/Patient", """
                {"resourceType":"Patient","active":false,"identifier":[{"system":"urn:x","value":"target"}]}""");
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?active=true"}]""")).api();

        var update = api.send(api.request("/fhir/R4/Patient?identifier=urn:x%7Ctarget").header("Content-Type", Api.FHIR_JSON)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"active\":true}")));
        assertThat(update.status()).as("no visible match: a new one is created " + update).isEqualTo(201);
        assertThat(update.json().path("id").asText()).isNotEqualTo(outside);
        assertThat(api.patch("/fhir/R4/Patient?identifier=urn:x%7Ctarget", "[{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]")
                .status()).isEqualTo(404);
        assertThat(api.delete("/fhir/R4/Patient?identifier=urn:x%7Ctarget").status()).isEqualTo(200);
        var create = api.send(api.request("/fhir/R4/Patient").header("Content-Type", Api.FHIR_JSON)
                .header("If-None-Exist", "identifier=urn:x%7Ctarget")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Patient\",\"active\":true}")));
        assertThat(create.status()).as(create.toString()).isEqualTo(201);

        var stored = project.api().get("/fhir/R4/Patient/" + outside);
        assertThat(stored.status()).isEqualTo(200);
        assertThat(stored.json().path("active").asBoolean(true)).isFalse();
        assertThat(stored.json().path("meta").path("versionId").asText())
                .isEqualTo(project.api().get("/fhir/R4/Patient/" + outside + "/_history").json().path("entry").path(0)
                        .path("resource").path("meta").path("versionId").asText());
        assertThat(ids(project.api().get("/fhir/R4/Patient?identifier=urn:x%7Ctarget").json())).containsExactly(outside);
    }
}
