package dev.fhirhook.fhir.search;

import static dev.fhirhook.fhir.search.BundleEntryUrlTest.bundle;
import static dev.fhirhook.fhir.search.BundleEntryUrlTest.post;
import static dev.fhirhook.fhir.search.BundleEntryUrlTest.versions;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.TestServer;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An entry that fails for a reason the server did not expect. The failure is real: PostgreSQL refuses the write
 * through a trigger that only fires for this test's marker, so nothing in the server is replaced or mocked.
 */
class BundleEntryFailureTest {
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void attach() {
        logged.start();
        root.addAppender(logged);
    }

    @AfterEach
    void detach() {
        root.detachAppender(logged);
        logged.stop();
    }

    @Test
    void a_batch_entry_that_fails_unexpectedly_is_its_own_500_and_the_others_keep_their_answers() {
        var fhir = FhirClient.inNewProject();
        String marker = "Fault" + UUID.randomUUID().toString().replace("-", "");
        JsonNode answers;
        try (var fault = new WriteFault(marker)) {
            var reply = post(fhir, bundle("batch", List.of(
                    patient("POST", "Patient", null, "Before"),
                    patient("POST", "Patient", null, marker),
                    patient("PUT", "Patient/after-fault", "after-fault", "After"),
                    patient("PUT", "Patient/also-" + marker, "also-" + marker, marker),
                    "{\"request\":{\"method\":\"GET\",\"url\":\"Patient?family=before,after\"}}")));
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            answers = reply.json().path("entry");
            assertThat(reply.body()).doesNotContain(marker).doesNotContainIgnoringCase("resource_history")
                    .doesNotContain("Exception").doesNotContain("SQL");
        }
        assertThat(answers).hasSize(5);
        assertThat(answers.get(0).path("response").path("status").asText()).isEqualTo("201");
        assertInternalError(answers.get(1), 1);
        assertThat(answers.get(2).path("response").path("status").asText()).isEqualTo("201");
        assertInternalError(answers.get(3), 3);
        assertThat(answers.get(4).path("response").path("status").asText()).isEqualTo("200");
        assertThat(FhirClient.matchIds(answers.get(4).path("resource"))).hasSize(2);

        // the failed entries wrote nothing, the good ones are there
        assertThat(versions(fhir, "Patient")).isEqualTo(2);
        assertThat(fhir.ids("Patient", "family", marker)).isEmpty();
        assertThat(fhir.api().get("/fhir/R4/Patient/after-fault").status()).isEqualTo(200);

        // each failure is logged at ERROR with its cause and the request id the client got
        String requestId = requestId(answers.get(1));
        for (int i : new int[] {1, 3}) {
            assertThat(logged.list).as("ERROR for entry[" + i + "]").anySatisfy(event -> {
                assertThat(event.getLevel()).isEqualTo(Level.ERROR);
                assertThat(event.getFormattedMessage()).contains(requestId).contains("entry[" + i + "]");
                assertThat(event.getThrowableProxy()).isNotNull();
                assertThat(causes(event)).contains(marker);
            });
        }
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_transaction_entry_that_fails_unexpectedly_is_a_500_and_writes_nothing() {
        var fhir = FhirClient.inNewProject();
        String marker = "Fault" + UUID.randomUUID().toString().replace("-", "");
        try (var fault = new WriteFault(marker)) {
            var reply = post(fhir, bundle("transaction", List.of(
                    patient("POST", "Patient", null, "Before"),
                    patient("PUT", "Patient/tx-after-fault", "tx-after-fault", "After"),
                    patient("POST", "Patient", null, marker))));
            assertThat(reply.status()).as(reply.toString()).isEqualTo(500);
            assertThat(reply.json().path("id").asText()).isEqualTo("server-error");
            assertThat(reply.body()).doesNotContain(marker).doesNotContain("Exception");
        }
        assertThat(versions(fhir, "Patient")).isZero();
        assertThat(fhir.api().get("/fhir/R4/Patient/tx-after-fault").status()).isEqualTo(404);
        assertThat(fhir.api().get("/healthcheck").status()).isEqualTo(200);
    }

    private static void assertInternalError(JsonNode entry, int index) {
        var response = entry.path("response");
        assertThat(response.path("status").asText()).as(entry.toString()).isEqualTo("500");
        var outcome = response.path("outcome");
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(outcome.path("id").asText()).isEqualTo("server-error");
        var issue = outcome.path("issue").path(0);
        assertThat(issue.path("code").asText()).isEqualTo("exception");
        assertThat(issue.path("details").path("text").asText()).isEqualTo("Internal server error");
        assertThat(issue.path("details").path("coding").path(0).path("code").asText()).isEqualTo("server.internal");
        assertThat(issue.path("expression").path(0).asText()).isEqualTo("entry[" + index + "]");
        assertThat(requestId(entry)).isNotEmpty();
        assertThat(entry.has("resource")).isFalse();
    }

    private static String requestId(JsonNode entry) {
        for (JsonNode ext : entry.path("response").path("outcome").path("extension").path(0).path("extension")) {
            if (ext.path("url").asText().equals("requestId")) return ext.path("valueId").asText();
        }
        return "";
    }

    private static String causes(ILoggingEvent event) {
        var text = new StringBuilder();
        for (var t = event.getThrowableProxy(); t != null; t = t.getCause()) text.append(t.getMessage()).append('\n');
        return text.toString();
    }

    private static String patient(String method, String url, String id, String family) {
        String idField = id == null ? "" : "\"id\":\"" + id + "\",";
        return """
                {"request":{"method":"%s","url":"%s"},
                 "resource":{"resourceType":"Patient",%s"name":[{"family":"%s"}]}}""".formatted(method, url, idField, family);
    }

    /** PostgreSQL refuses, as an internal error, every version written whose content holds {@code marker}. */
    private static final class WriteFault implements AutoCloseable {
        private final String name;

        WriteFault(String marker) {
            this.name = "test_fault_" + marker.toLowerCase();
            var db = TestServer.get().server().database().jdbc();
            db.update("""
                    create function %1$s() returns trigger language plpgsql as $f$
                    begin
                      if new.content like '%%%2$s%%' then
                        raise exception 'injected failure %2$s' using errcode = 'XX000';
                      end if;
                      return new;
                    end $f$""".formatted(name, marker));
            db.update("create trigger %1$s before insert on resource_history for each row execute function %1$s()"
                    .formatted(name));
        }

        @Override
        public void close() {
            var db = TestServer.get().server().database().jdbc();
            db.update("drop trigger %1$s on resource_history".formatted(name));
            db.update("drop function %1$s()".formatted(name));
        }
    }
}
