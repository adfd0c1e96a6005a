package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.TestServer;
import java.time.Instant;
import java.util.HashSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Version ids are UUIDv7: the version's millisecond first, so PostgreSQL's uuid order is the order of writing. */
class VersionIdsTest {

    @Test
    void a_version_id_is_a_version_7_uuid_that_starts_with_the_versions_millisecond() {
        var at = Instant.parse("2026-11-29T07:55:01.234Z");
        UUID id = VersionIds.at(at);
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(at.toEpochMilli());
        assertThat(id.toString()).startsWith(String.format("%08x-%04x", at.toEpochMilli() >>> 16, at.toEpochMilli() & 0xFFFF));
    }

    @Test
    void ids_of_one_millisecond_are_distinct() {
        var at = Instant.parse("2026-11-29T07:55:01.234Z");
        var seen = new HashSet<UUID>();
        for (int i = 0; i < 100_000; i++) seen.add(VersionIds.at(at));
        assertThat(seen).hasSize(100_000);
    }

    @Test
    void a_later_version_sorts_after_an_earlier_one_in_postgresql() {
        var jdbc = TestServer.get().server().database().jdbc();
        var first = Instant.parse("2026-11-29T07:55:01.234Z");
        for (Instant later : new Instant[] {first.plusMillis(1), first.plusSeconds(86_400L * 365 * 30)}) {
            assertThat(jdbc.query("select ?::uuid < ?::uuid", rs -> rs.getBoolean(1),
                    VersionIds.at(first).toString(), VersionIds.at(later).toString())).containsExactly(true);
        }
    }

    @Test
    void versions_written_through_the_api_carry_time_ordered_ids() {
        var admin = TestServer.get().admin();
        var created = admin.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
        String id = created.json().path("id").asText();
        var updated = admin.put("/fhir/R4/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"active\":false}");
        UUID v1 = UUID.fromString(created.json().path("meta").path("versionId").asText());
        UUID v2 = UUID.fromString(updated.json().path("meta").path("versionId").asText());
        assertThat(v1.version()).isEqualTo(7);
        assertThat(v2.version()).isEqualTo(7);
        assertThat(v1.getMostSignificantBits() >>> 16)
                .isEqualTo(Instants.parse(created.json().path("meta").path("lastUpdated").asText()).orElseThrow().toEpochMilli());
        assertThat(Long.compareUnsigned(v1.getMostSignificantBits(), v2.getMostSignificantBits())).isLessThanOrEqualTo(0);
    }
}
