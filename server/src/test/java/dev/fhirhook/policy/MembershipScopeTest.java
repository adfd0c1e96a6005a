package dev.fhirhook.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.Members;
import dev.fhirhook.testing.TestServer;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link MembershipPolicies#scopeFor}, the seam a Bot uses to act as its own membership (no HTTP route runs
 * bots yet), on the real database: the scope carries the membership's policy, and the cached policy follows
 * writes on this node at once and writes made elsewhere within the TTL.
 */
class MembershipScopeTest {

    private static com.fasterxml.jackson.databind.node.ObjectNode resource(String json) {
        return (com.fasterxml.jackson.databind.node.ObjectNode) FhirJson.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void assertStatus(Runnable action, int status) {
        assertThatThrownBy(action::run).isInstanceOf(ApiException.class).extracting(e -> ((ApiException) e).status()).isEqualTo(status);
    }

    @Test
    void a_bot_whose_policy_lists_invoice_and_account_writes_those_and_gets_403_on_patient() {
        var project = TestServer.get().newProject();
        var bot = Members.withPolicy(project, Members.policy(project,
                "\"resource\":[{\"resourceType\":\"Invoice\"},{\"resourceType\":\"Account\"}]"));
        var clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var store = TestServer.get().newStore(clock);
        var membership = store.findAnyProject("ProjectMembership", bot.membershipId()).orElseThrow();

        Scope scope = new MembershipPolicies(store, clock).scopeFor(membership);
        assertThat(scope.projectId()).isEqualTo(project.projectId());
        assertThat(scope.author()).isEqualTo("ClientApplication/" + bot.clientId());

        var invoice = store.create(scope, resource("{\"resourceType\":\"Invoice\",\"status\":\"issued\"}"));
        assertThat(store.read(scope, "Invoice", invoice.id()).projectId()).isEqualTo(project.projectId());
        store.create(scope, resource("{\"resourceType\":\"Account\",\"status\":\"active\"}"));
        assertStatus(() -> store.create(scope, resource("{\"resourceType\":\"Patient\"}")), 403);
        String patient = project.api().post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}").json().path("id").asText();
        assertStatus(() -> store.read(scope, "Patient", patient), 403);
    }

    @Test
    void a_membership_whose_policy_cannot_be_loaded_cannot_act_and_gets_medplums_text() {
        var project = TestServer.get().newProject();
        var member = Members.member(project, "\"accessPolicy\":" + Members.reference("does-not-exist"));
        var clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var store = TestServer.get().newStore(clock);
        var membership = store.findAnyProject("ProjectMembership", member.membershipId()).orElseThrow();
        assertThatThrownBy(() -> new MembershipPolicies(store, clock).scopeFor(membership)).isInstanceOf(ApiException.class)
                .satisfies(e -> {
                    assertThat(((ApiException) e).status()).isEqualTo(400);
                    assertThat(((ApiException) e).text()).isEqualTo("Cannot authenticate: Invalid access policy configuration. "
                            + "Please contact your administrator to update your project membership.");
                });
    }

    @Test
    void a_policy_changed_on_this_node_applies_at_once_and_one_changed_elsewhere_within_the_ttl() {
        var project = TestServer.get().newProject();
        String policyId = Members.policy(project, "\"resource\":[{\"resourceType\":\"Invoice\"}]");
        var bot = Members.withPolicy(project, policyId);
        var clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var thisNode = TestServer.get().newStore(clock);
        var otherNode = TestServer.get().newStore(clock);
        var policies = new MembershipPolicies(thisNode, clock);
        var membership = thisNode.findAnyProject("ProjectMembership", bot.membershipId()).orElseThrow();
        var system = Scope.system(project.projectId());
        String invoice = "{\"resourceType\":\"Invoice\",\"status\":\"draft\"}";

        thisNode.create(policies.scopeFor(membership), resource(invoice));
        otherNode.update(system, resource("{\"resourceType\":\"AccessPolicy\",\"id\":\"" + policyId
                + "\",\"resource\":[{\"resourceType\":\"Account\"}]}"), Optional.empty(), "PUT");
        thisNode.create(policies.scopeFor(membership), resource(invoice)); // still the cached policy
        clock.advance(MembershipPolicies.TTL.plusSeconds(1));
        assertStatus(() -> thisNode.create(policies.scopeFor(membership), resource(invoice)), 403);

        thisNode.update(system, resource("{\"resourceType\":\"AccessPolicy\",\"id\":\"" + policyId
                + "\",\"resource\":[{\"resourceType\":\"Invoice\"}]}"), Optional.empty(), "PUT");
        thisNode.create(policies.scopeFor(membership), resource(invoice));
    }
}
