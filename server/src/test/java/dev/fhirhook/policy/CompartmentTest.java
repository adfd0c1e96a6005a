package dev.fhirhook.policy;

import static dev.fhirhook.policy.AccessPolicyTest.assertForbidden;
import static dev.fhirhook.policy.AccessPolicyTest.created;
import static dev.fhirhook.policy.AccessPolicyTest.ids;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Members;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code meta.compartment} is the server's: computed on every write from the resource's project and its Patient
 * references (R4 Patient CompartmentDefinition), whatever the client sent. AccessPolicy {@code compartment} entries
 * are enforced against it, so a client must not be able to choose it.
 */
class CompartmentTest {

    private static List<String> compartments(JsonNode resource) {
        var out = new ArrayList<String>();
        resource.path("meta").path("compartment").forEach(c -> out.add(c.path("reference").asText()));
        return out;
    }

    private static JsonNode read(Api api, String path) {
        var reply = api.get(path);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    private static String observation(String subject, String extra) {
        return """
                {"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"%s"}%s}"""
                .formatted(subject, extra);
    }

    private static String patient(TestProject project) {
        return created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}");
    }

    /** A member confined to one patient's compartment for Observations. */
    private static Api confinedTo(TestProject project, String patient) {
        return Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Observation","compartment":{"reference":"Patient/%s"}}]""".formatted(patient)))
                .api();
    }

    @Test
    void a_client_confined_to_one_patient_cannot_write_about_another_by_naming_both_compartments() {
        var project = TestServer.get().newProject();
        String a = patient(project);
        String b = patient(project);
        var confinedToB = confinedTo(project, b);
        var forged = confinedToB.post("/fhir/R4/Observation", observation("Patient/" + a,
                ",\"meta\":{\"compartment\":[{\"reference\":\"Patient/" + a + "\"},{\"reference\":\"Patient/" + b + "\"}]}"));
        assertForbidden(forged);
        assertThat(read(project.api(), "/fhir/R4/Observation").path("entry")).as("nothing was written").isEmpty();
        // about its own patient it may write, and the stored compartments are the server's
        String own = created(confinedToB, "/fhir/R4/Observation", observation("Patient/" + b,
                ",\"meta\":{\"compartment\":[{\"reference\":\"Patient/" + a + "\"}]}"));
        assertThat(compartments(read(project.api(), "/fhir/R4/Observation/" + own)))
                .containsExactly("Project/" + project.projectId(), "Patient/" + b);
    }

    @Test
    void a_reader_confined_to_a_patient_sees_that_patients_resources_whoever_wrote_them_and_no_others() {
        var project = TestServer.get().newProject();
        String a = patient(project);
        String b = patient(project);
        // written by the project's client, which never sets meta.compartment, or sets it wrongly
        String aboutA = created(project.api(), "/fhir/R4/Observation", observation("Patient/" + a, ""));
        String aboutB = created(project.api(), "/fhir/R4/Observation", observation("Patient/" + b,
                ",\"meta\":{\"compartment\":[{\"reference\":\"Patient/" + a + "\"}]}"));
        var readerOfA = confinedTo(project, a);
        assertThat(ids(read(readerOfA, "/fhir/R4/Observation"))).containsExactly(aboutA);
        assertThat(readerOfA.get("/fhir/R4/Observation/" + aboutB).status()).isEqualTo(404);
        assertThat(read(readerOfA, "/fhir/R4/Observation/" + aboutA).path("id").asText()).isEqualTo(aboutA);
    }

    @Test
    void an_update_or_patch_cannot_move_a_resource_into_another_compartment_by_its_meta() {
        var project = TestServer.get().newProject();
        String a = patient(project);
        String b = patient(project);
        String id = created(project.api(), "/fhir/R4/Observation", observation("Patient/" + a, ""));
        var put = project.api().put("/fhir/R4/Observation/" + id, """
                {"resourceType":"Observation","id":"%s","status":"amended","code":{"text":"bp"},"subject":{"reference":"Patient/%s"},
                 "meta":{"compartment":[{"reference":"Patient/%s"}]}}""".formatted(id, a, b));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(compartments(put.json())).containsExactly("Project/" + project.projectId(), "Patient/" + a);
        var patch = project.api().patch("/fhir/R4/Observation/" + id, """
                [{"op":"add","path":"/meta/compartment/-","value":{"reference":"Patient/%s"}},
                 {"op":"replace","path":"/status","value":"final"}]""".formatted(b));
        assertThat(patch.status()).as(patch.toString()).isEqualTo(200);
        assertThat(compartments(patch.json())).containsExactly("Project/" + project.projectId(), "Patient/" + a);
        // moving the subject moves the compartment
        var moved = project.api().patch("/fhir/R4/Observation/" + id, """
                [{"op":"replace","path":"/subject/reference","value":"Patient/%s"}]""".formatted(b));
        assertThat(compartments(moved.json())).containsExactly("Project/" + project.projectId(), "Patient/" + b);
        assertThat(ids(read(confinedTo(project, b), "/fhir/R4/Observation"))).containsExactly(id);
        assertThat(ids(read(confinedTo(project, a), "/fhir/R4/Observation"))).isEmpty();
    }

    @Test
    void a_confined_client_cannot_re_create_another_patients_deleted_resource_and_read_its_history() {
        var project = TestServer.get().newProject();
        String a = patient(project);
        String b = patient(project);
        String aboutB = created(project.api(), "/fhir/R4/Observation", observation("Patient/" + b,
                ",\"valueString\":\"B's secret result\""));
        assertThat(project.api().delete("/fhir/R4/Observation/" + aboutB).status()).isEqualTo(200);
        var confinedToA = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Observation","compartment":{"reference":"Patient/%s"}}]""".formatted(a))).api();
        var recreate = confinedToA.put("/fhir/R4/Observation/" + aboutB, """
                {"resourceType":"Observation","id":"%s","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(aboutB, a));
        assertForbidden(recreate);
        assertThat(recreate.body()).doesNotContain("secret");
        var history = confinedToA.get("/fhir/R4/Observation/" + aboutB + "/_history");
        assertThat(history.body()).as(history.toString()).doesNotContain("secret");
        assertThat(project.api().get("/fhir/R4/Observation/" + aboutB).status()).as("still deleted").isEqualTo(410);

        // its own patient's deleted resource it may write again
        String aboutA = created(confinedToA, "/fhir/R4/Observation", observation("Patient/" + a, ""));
        assertThat(confinedToA.delete("/fhir/R4/Observation/" + aboutA).status()).isEqualTo(200);
        var again = confinedToA.put("/fhir/R4/Observation/" + aboutA, """
                {"resourceType":"Observation","id":"%s","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"}}"""
                .formatted(aboutA, a));
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
    }

    @Test
    void a_patient_is_in_its_own_compartment_and_in_those_of_the_patients_it_links_to() {
        var project = TestServer.get().newProject();
        String other = patient(project);
        var reply = project.api().post("/fhir/R4/Patient", """
                {"resourceType":"Patient","link":[{"other":{"reference":"Patient/%s"},"type":"seealso"}]}""".formatted(other));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        String id = reply.json().path("id").asText();
        assertThat(compartments(reply.json()))
                .containsExactly("Project/" + project.projectId(), "Patient/" + id, "Patient/" + other);
    }

    @Test
    void every_parameter_of_the_definition_counts_and_only_patient_references_do() {
        var project = TestServer.get().newProject();
        String p1 = patient(project);
        String p2 = patient(project);
        // Observation: subject and performer; a Group subject, an absolute URL and a contained one are no patients
        var reply = project.api().post("/fhir/R4/Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s"},
                 "performer":[{"reference":"Practitioner/pr1"},{"reference":"Patient/%s"},{"reference":"Patient/%s"},
                              {"reference":"https://elsewhere.example/fhir/Patient/p9"},{"reference":"#c1"}]}"""
                .formatted(p1, p2, p1));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        assertThat(compartments(reply.json()))
                .containsExactly("Project/" + project.projectId(), "Patient/" + p1, "Patient/" + p2);
        var group = project.api().post("/fhir/R4/Observation", observation("Group/g1", ""));
        assertThat(compartments(group.json())).containsExactly("Project/" + project.projectId());
        // a type outside the Patient compartment is only in its project's
        var org = project.api().post("/fhir/R4/Organization", "{\"resourceType\":\"Organization\",\"name\":\"x\"}");
        assertThat(compartments(org.json())).containsExactly("Project/" + project.projectId());
    }

    @Test
    void an_unchanged_put_writes_no_version_whatever_compartment_the_client_sends() {
        var project = TestServer.get().newProject();
        String a = patient(project);
        String id = created(project.api(), "/fhir/R4/Observation", observation("Patient/" + a, ""));
        var stored = read(project.api(), "/fhir/R4/Observation/" + id);
        var again = project.api().put("/fhir/R4/Observation/" + id, """
                {"resourceType":"Observation","id":"%s","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/%s"},
                 "meta":{"compartment":[{"reference":"Patient/zzz"}]}}""".formatted(id, a));
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.json().path("meta").path("versionId").asText())
                .isEqualTo(stored.path("meta").path("versionId").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"Patient/x\"", "5", "{}", "[5]", "[{\"reference\":7}]", "[\"Patient/x\"]", "null"})
    void a_malformed_compartment_from_the_client_is_ignored_or_refused_and_never_stored(String value) {
        var project = TestServer.get().newProject();
        var reply = project.api().post("/fhir/R4/Observation", observation("Patient/p1",
                ",\"meta\":{\"compartment\":" + value + "}"));
        assertThat(reply.status()).as(reply.toString()).isIn(201, 400);
        if (reply.status() == 201) {
            assertThat(compartments(reply.json())).containsExactly("Project/" + project.projectId(), "Patient/p1");
        } else {
            assertThat(read(project.api(), "/fhir/R4/Observation").path("entry")).isEmpty();
        }
    }

    @Test
    void rows_an_earlier_version_stored_get_their_compartments_computed_once_after_the_upgrade() {
        var project = TestServer.get().newProject();
        String a = patient(project);
        String b = patient(project);
        String aboutA = created(project.api(), "/fhir/R4/Observation", observation("Patient/" + a, ""));
        String version = read(project.api(), "/fhir/R4/Observation/" + aboutA).path("meta").path("versionId").asText();
        // as an earlier version kept it: the compartments a client sent, here Patient B's
        var jdbc = TestServer.get().server().database().jdbc();
        assertThat(jdbc.update("""
                update resource set content = jsonb_set(content::jsonb, '{meta,compartment}', ?::jsonb)::text
                 where resource_type = 'Observation' and id = ?""", "[{\"reference\":\"Patient/" + b + "\"}]", aboutA))
                .isEqualTo(1);
        assertThat(ids(read(confinedTo(project, b), "/fhir/R4/Observation"))).containsExactly(aboutA);

        jdbc.update("insert into pending_upgrade (name) values ('compartments') on conflict do nothing");
        var store = TestServer.get().newStore(java.time.Clock.systemUTC());
        assertThat(store.upgradeCompartments()).isGreaterThanOrEqualTo(1);
        var upgraded = read(project.api(), "/fhir/R4/Observation/" + aboutA);
        assertThat(compartments(upgraded)).containsExactly("Project/" + project.projectId(), "Patient/" + a);
        assertThat(upgraded.path("meta").path("versionId").asText()).as("no new version").isEqualTo(version);
        assertThat(ids(read(confinedTo(project, b), "/fhir/R4/Observation"))).isEmpty();
        assertThat(ids(read(confinedTo(project, a), "/fhir/R4/Observation"))).containsExactly(aboutA);
        assertThat(store.upgradeCompartments()).as("done once: the marker is gone").isZero();
    }

    @Test
    void the_upgrade_says_when_it_begins_and_how_far_it_got_as_it_reads_every_row() {
        var project = TestServer.get().newProject();
        patient(project);
        var jdbc = TestServer.get().server().database().jdbc();
        long rows = jdbc.queryOne("select count(*) from resource", rs -> rs.getLong(1)).orElseThrow();
        jdbc.update("insert into pending_upgrade (name) values ('compartments') on conflict do nothing");
        // 20 s pass between two readings: every batch of rows is reported
        var clock = new java.time.Clock() {
            private java.time.Instant now = java.time.Instant.parse("2026-01-01T00:00:00Z");

            @Override
            public synchronized java.time.Instant instant() {
                now = now.plusSeconds(20);
                return now;
            }

            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        var appender = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(dev.fhirhook.fhir.ResourceStore.class);
        appender.start();
        logger.addAppender(appender);
        try {
            TestServer.get().newStore(clock).upgradeCompartments();
        } finally {
            logger.detachAppender(appender);
            appender.stop();
        }
        var lines = appender.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines.getFirst()).startsWith("computing meta.compartment of every stored resource once (upgrade V15)");
        var progress = lines.stream().filter(l -> l.startsWith("meta.compartment upgrade: ")).toList();
        assertThat(progress).hasSizeGreaterThanOrEqualTo(1);
        assertThat(progress.getLast()).matches("meta\\.compartment upgrade: \\d+ stored resources read, \\d+ rewritten, up to \\w+/\\S+");
        long lastRead = Long.parseLong(progress.getLast().replaceAll("^meta\\.compartment upgrade: (\\d+) .*$", "$1"));
        assertThat(lastRead).as("the last report counts every row").isGreaterThanOrEqualTo(rows);
    }

    @Test
    void a_transaction_computes_compartments_from_its_resolved_references() {
        var project = TestServer.get().newProject();
        var reply = project.api().post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:8f2b5d55-3a1c-4d2e-9a57-1b2c3d4e5f60","resource":{"resourceType":"Patient"},
                   "request":{"method":"POST","url":"Patient"}},
                  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
                    "subject":{"reference":"urn:uuid:8f2b5d55-3a1c-4d2e-9a57-1b2c3d4e5f60"}},
                   "request":{"method":"POST","url":"Observation"}}]}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        String location = reply.json().path("entry").path(0).path("response").path("location").asText();
        var m = java.util.regex.Pattern.compile("Patient/([^/]+)").matcher(location);
        assertThat(m.find()).as(location).isTrue();
        String patient = m.group(1);
        var observations = read(project.api(), "/fhir/R4/Observation").path("entry");
        assertThat(compartments(observations.path(0).path("resource")))
                .containsExactly("Project/" + project.projectId(), "Patient/" + patient);
    }
}
