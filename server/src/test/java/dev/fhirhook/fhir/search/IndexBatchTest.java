package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.TestServer;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Index rows written as column arrays in one statement hold exactly what binding each value on its own held:
 * the same instants (BC years, year 10000, nanoseconds rounded as pgjdbc rounds them), numbers and nulls.
 */
class IndexBatchTest {
    private final dev.fhirhook.db.Jdbc jdbc = TestServer.get().server().database().jdbc();

    @Test
    void an_instant_as_text_is_the_instant_pgjdbc_binds() {
        var instants = List.of(DateRange.MIN, DateRange.MAX, Instant.parse("0000-01-01T00:00:00Z"),
                Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("+10000-01-01T00:00:00Z"),
                Instant.parse("2024-05-06T10:00:00.123456499Z"), Instant.parse("2024-05-06T10:00:00.123456500Z"),
                Instant.parse("2024-12-31T23:59:59.999999999Z"), Instant.parse("1969-12-31T23:59:59.000000001Z"),
                Instant.EPOCH);
        for (Instant instant : instants) {
            String text = IndexBatch.timestamp(instant);
            var same = jdbc.query("select ?::timestamptz = ?::text::timestamptz", rs -> rs.getBoolean(1), instant, text);
            assertThat(same).as("%s written as %s", instant, text).containsExactly(true);
        }
    }

    @Test
    void a_resource_written_in_one_statement_has_the_index_rows_of_every_table() {
        var client = FhirClient.inNewProject();
        String identifier = UUID.randomUUID().toString();
        String observation = """
                {"resourceType":"Observation","status":"final",
                 "identifier":[{"system":"urn:test","value":"%s"}],
                 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}],"text":"Heart rate"},
                 "subject":{"reference":"Patient/p1"},
                 "effectiveDateTime":"0001-02-03",
                 "valueQuantity":{"value":1.5E+3,"system":"http://unitsofmeasure.org","code":"/min"},
                 "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
                               "valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}
                """.formatted(identifier);
        String id = client.create(observation);
        var queries = List.of(new String[] {"identifier", "urn:test|" + identifier},
                new String[] {"code", "http://loinc.org|8867-4"}, new String[] {"subject", "Patient/p1"},
                new String[] {"date", "0001-02-03"}, new String[] {"value-quantity", "1500||/min"},
                new String[] {"component-code-value-quantity", "http://loinc.org|8480-6$120"});
        for (String[] q : queries) {
            assertThat(client.ids("Observation", q[0], q[1], "_id", id)).as(q[0]).containsExactly(id);
        }
        // updated: the old rows are gone and the new ones are there, written by the same single statement
        String updated = observation.replace("1.5E+3", "7").replaceFirst("\\{", "{\"id\":\"" + id + "\",");
        var reply = client.api().put("/fhir/R4/Observation/" + id, updated);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(client.ids("Observation", "value-quantity", "1500||/min", "_id", id)).isEmpty();
        assertThat(client.ids("Observation", "value-quantity", "7||/min", "_id", id)).containsExactly(id);
        var identifierRows = jdbc.query("select count(*) from search_token where resource_type = 'Observation'"
                + " and resource_id = ? and param = 'identifier'", rs -> rs.getLong(1), id);
        assertThat(identifierRows).containsExactly(1L);
    }
}
