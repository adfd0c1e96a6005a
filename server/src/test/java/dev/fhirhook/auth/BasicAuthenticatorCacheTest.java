package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The authentication cache on the real database: a write on this node drops cached principals at once; a
 * write made by another node (another store, another counter) is seen once the TTL has passed.
 */
class BasicAuthenticatorCacheTest {

    @Test
    void a_secret_changed_on_this_node_takes_effect_at_once_and_one_changed_elsewhere_within_the_ttl() {
        var project = TestServer.get().newProject();
        var clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var thisNode = TestServer.get().newStore(clock);
        var otherNode = TestServer.get().newStore(clock);
        var auth = new BasicAuthenticator(thisNode, clock);
        String header = basic(project.clientId(), project.secret());

        assertThat(auth.authenticate(header, "127.0.0.1").projectId()).isEqualTo(project.projectId());

        setSecret(otherNode, project.projectId(), project.clientId(), "rotated-elsewhere-0123456789");
        assertThat(auth.authenticate(header, "127.0.0.1").projectId()).as("cached: another node's write is not seen yet").isEqualTo(project.projectId());
        clock.advance(BasicAuthenticator.TTL.plusSeconds(1));
        assertThatThrownBy(() -> auth.authenticate(header, "127.0.0.1")).isInstanceOf(ApiException.class)
                .extracting(e -> ((ApiException) e).status()).isEqualTo(401);

        String rotated = basic(project.clientId(), "rotated-elsewhere-0123456789");
        assertThat(auth.authenticate(rotated, "127.0.0.1").projectId()).isEqualTo(project.projectId());
        setSecret(thisNode, project.projectId(), project.clientId(), "rotated-here-0123456789");
        assertThatThrownBy(() -> auth.authenticate(rotated, "127.0.0.1")).as("a write on this node drops the entry at once")
                .isInstanceOf(ApiException.class);
    }

    @Test
    void failures_are_not_cached() {
        var project = TestServer.get().newProject();
        var clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var auth = new BasicAuthenticator(TestServer.get().newStore(clock), clock);
        assertThatThrownBy(() -> auth.authenticate(basic(project.clientId(), "wrong"), "127.0.0.1")).isInstanceOf(ApiException.class);
        assertThat(auth.authenticate(basic(project.clientId(), project.secret()), "127.0.0.1").projectId()).isEqualTo(project.projectId());
    }

    private static void setSecret(ResourceStore store, String projectId, String clientId, String secret) {
        var scope = dev.fhirhook.fhir.Scope.system(projectId);
        var client = store.read(scope, "ClientApplication", clientId).json();
        client.put("secret", secret);
        store.update(scope, client, Optional.empty(), "PUT");
    }

    private static String basic(String id, String secret) {
        return "Basic " + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

}
