package dev.fhirhook.bot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The secrets cache on the real database: a Project written on this node is read again at once; one written by
 * another node (another store, another counter) is seen once the TTL has passed.
 */
class SecretsTest {

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final ResourceStore thisNode = TestServer.get().newStore(clock);
    private final ResourceStore otherNode = TestServer.get().newStore(clock);
    private final Secrets secrets = new Secrets(thisNode, clock);

    @Test
    void a_secret_changed_here_is_seen_at_once_and_one_changed_elsewhere_once_the_ttl_has_passed() {
        String project = TestServer.get().newProject().projectId();
        var bot = bot(project, false);
        setSecret(thisNode, project, "KEY", "one");
        assertThat(value(bot, "KEY")).contains("one");

        setSecret(thisNode, project, "KEY", "two");
        assertThat(value(bot, "KEY")).as("written on this node").contains("two");

        setSecret(otherNode, project, "KEY", "three");
        clock.advance(Secrets.TTL.minusSeconds(1));
        assertThat(value(bot, "KEY")).as("within the TTL: another node's write is not seen yet").contains("two");
        clock.advance(Duration.ofSeconds(2));
        assertThat(value(bot, "KEY")).as("past the TTL").contains("three");
    }

    @Test
    void a_run_that_changes_its_secrets_object_does_not_change_the_next_run_s() {
        String project = TestServer.get().newProject().projectId();
        var bot = bot(project, false);
        setSecret(thisNode, project, "KEY", "kept");
        var first = secrets.forRun(bot, bot.json(), project);
        ((ObjectNode) first.get("KEY")).put("valueString", "changed");
        assertThat(value(bot, "KEY")).contains("kept");
    }

    @Test
    void system_secrets_come_from_the_cache_only_for_system_bots() {
        String project = TestServer.get().newProject().projectId();
        var json = thisNode.findAnyProject("Project", project).orElseThrow().json();
        json.putArray("systemSecret").addObject().put("name", "SYSTEM_ONLY").put("valueString", "s");
        thisNode.update(Scope.system(project), json, Optional.empty(), "PUT");
        var plain = bot(project, false);
        var system = bot(project, true);
        assertThat(value(plain, "SYSTEM_ONLY")).isEmpty();
        assertThat(value(system, "SYSTEM_ONLY")).contains("s");
        assertThat(value(plain, "SYSTEM_ONLY")).isEmpty();
    }

    private Optional<String> value(StoredResource bot, String name) {
        return secrets.value(bot, bot.json(), bot.projectId(), name);
    }

    /** A Bot as the runner gets it; only its project and {@code system} matter here. */
    private static StoredResource bot(String project, boolean system) {
        var json = FhirJson.mapper().createObjectNode().put("resourceType", "Bot").put("id", "b").put("system", system);
        return new StoredResource("Bot", "b", project, java.util.UUID.randomUUID(), Instant.EPOCH, false, "PUT",
                FhirJson.text(json));
    }

    private static void setSecret(ResourceStore store, String project, String name, String value) {
        var json = store.findAnyProject("Project", project).orElseThrow().json();
        json.putArray("secret").addObject().put("name", name).put("valueString", value);
        store.update(Scope.system(project), json, Optional.empty(), "PUT");
    }
}
