package dev.fhirhook.bot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The bots' code cache on the real database: a Binary written on this node is read again at once, in or out of a
 * transaction; one written by another node (another store, another counter) is seen once the TTL has passed. A
 * Binary is found only in its own project, and misses are never cached.
 */
class BotCodeCacheTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final ResourceStore thisNode = TestServer.get().newStore(clock);
    private final ResourceStore otherNode = TestServer.get().newStore(clock);
    private final BotCodeCache cache = new BotCodeCache(thisNode, clock);

    @Test
    void a_binary_written_by_another_node_is_served_from_the_cache_until_the_ttl_has_passed() {
        String project = TestServer.get().newProject().projectId();
        String id = createBinary(thisNode, project, "v1");
        assertThat(text(project, id)).isEqualTo("v1");

        replace(otherNode, project, id, "v2");
        clock.advance(BotCodeCache.TTL.minusSeconds(1));
        assertThat(text(project, id)).as("within the TTL: another node's write is not seen yet").isEqualTo("v1");
        clock.advance(Duration.ofSeconds(2));
        assertThat(text(project, id)).as("past the TTL").isEqualTo("v2");
    }

    @Test
    void a_binary_changed_in_the_database_behind_the_store_is_seen_once_the_ttl_has_passed() {
        String project = TestServer.get().newProject().projectId();
        String id = createBinary(thisNode, project, "v1");
        var first = cache.find(project, id).orElseThrow();

        var binary = thisNode.findAnyProject("Binary", id).orElseThrow().json();
        binary.put("data", base64("v2"));
        TestServer.get().server().database().jdbc().update(
                "update resource set content = ? where resource_type = 'Binary' and id = ?", FhirJson.text(binary), id);
        assertThat(cache.find(project, id)).contains(first);
        clock.advance(BotCodeCache.TTL);
        assertThat(text(project, id)).isEqualTo("v2");
    }

    @Test
    void a_binary_written_on_this_node_is_read_again_at_once_also_when_written_in_a_transaction() {
        String project = TestServer.get().newProject().projectId();
        String id = createBinary(thisNode, project, "v1");
        String v1 = cache.find(project, id).orElseThrow().version();

        replace(thisNode, project, id, "v2");
        var v2 = cache.find(project, id).orElseThrow();
        assertThat(v2.text()).isEqualTo("v2");
        assertThat(v2.version()).startsWith(id + "/").isNotEqualTo(v1);

        thisNode.inTransaction((tx, jdbc) -> {
            replace(tx, project, id, "v3");
            return null;
        });
        assertThat(text(project, id)).isEqualTo("v3");
    }

    @Test
    void a_binary_is_found_only_in_its_own_project_even_once_cached() {
        String project = TestServer.get().newProject().projectId();
        String other = TestServer.get().newProject().projectId();
        String id = createBinary(thisNode, project, "ours");
        assertThat(text(project, id)).isEqualTo("ours");
        assertThat(cache.find(other, id)).isEmpty();
    }

    @Test
    void missing_and_undecodable_binaries_are_not_cached() {
        String project = TestServer.get().newProject().projectId();
        String id = "bot-code-" + java.util.UUID.randomUUID();
        assertThat(cache.find(project, id)).isEmpty();
        write(otherNode, project, id, "ab=c"); // not base64: the last unit is broken
        assertThat(cache.find(project, id)).as("the miss was not kept: read again without waiting for the TTL").isEmpty();
        write(otherNode, project, id, base64("decodable now"));
        assertThat(text(project, id)).as("the undecodable version was not kept either").isEqualTo("decodable now");
    }

    private String text(String project, String id) {
        return cache.find(project, id).orElseThrow().text();
    }

    private static String createBinary(ResourceStore store, String project, String source) {
        var binary = FhirJson.mapper().createObjectNode().put("resourceType", "Binary")
                .put("contentType", "text/javascript").put("data", base64(source));
        return store.create(Scope.system(project), binary).id();
    }

    private static void replace(ResourceStore store, String project, String id, String source) {
        write(store, project, id, base64(source));
    }

    private static void write(ResourceStore store, String project, String id, String data) {
        var binary = FhirJson.mapper().createObjectNode().put("resourceType", "Binary").put("id", id)
                .put("contentType", "text/javascript").put("data", data);
        store.update(Scope.system(project), binary, Optional.empty(), "PUT");
    }

    private static String base64(String source) {
        return Base64.getEncoder().encodeToString(source.getBytes(StandardCharsets.UTF_8));
    }
}
