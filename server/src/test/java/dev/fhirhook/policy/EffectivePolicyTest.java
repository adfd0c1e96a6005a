package dev.fhirhook.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.FhirJson;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure policy core: union, parameters, admin types, decisions and submitted-policy problems. */
class EffectivePolicyTest {
    private static final EffectivePolicy.Member MEMBER = new EffectivePolicy.Member("ClientApplication/c1", false);
    private static final EffectivePolicy.Member ADMIN = new EffectivePolicy.Member("ClientApplication/c1", true);

    private static JsonNode json(String text) {
        return FhirJson.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static EffectivePolicy.Source source(String resources, EffectivePolicy.Parameter... parameters) {
        return new EffectivePolicy.Source(json("{\"resourceType\":\"AccessPolicy\",\"resource\":" + resources + "}"), List.of(parameters));
    }

    private static List<EffectivePolicy.Candidate> allowed(EffectivePolicy policy, String type, Interaction interaction) {
        var decision = policy.decide(type, interaction);
        assertThat(decision).as(type + " " + interaction).isInstanceOf(EffectivePolicy.Decision.Allowed.class);
        return ((EffectivePolicy.Decision.Allowed) decision).candidates();
    }

    private static void denied(EffectivePolicy policy, String type, Interaction interaction) {
        assertThat(policy.decide(type, interaction)).as(type + " " + interaction).isInstanceOf(EffectivePolicy.Decision.Denied.class);
    }

    @Test
    void no_policy_is_full_access_except_the_admin_types_and_client_secrets_are_hidden() {
        var policy = EffectivePolicy.of(MEMBER, List.of());
        assertThat(allowed(policy, "Patient", Interaction.DELETE)).hasSize(1);
        for (String type : List.of("Project", "ProjectMembership", "User", "Login", "JsonWebKey")) denied(policy, type, Interaction.READ);
        var client = allowed(policy, "ClientApplication", Interaction.READ).getFirst();
        assertThat(client.hidden()).extracting(FieldPath::toString).containsExactly("secret", "retiringSecret");
    }

    @Test
    void a_policy_with_no_entries_grants_only_the_default_read_only_types() {
        var policy = EffectivePolicy.of(MEMBER, List.of(source("[]")));
        denied(policy, "Patient", Interaction.READ);
        assertThat(allowed(policy, "StructureDefinition", Interaction.SEARCH)).hasSize(1);
        denied(policy, "StructureDefinition", Interaction.CREATE);
    }

    @Test
    void readonly_means_search_read_history_vread_and_a_listed_interaction_set_wins() {
        var policy = EffectivePolicy.of(MEMBER, List.of(source("""
                [{"resourceType":"Bot","readonly":true},{"resourceType":"Invoice","readonly":true,"interaction":["create"]}]""")));
        for (var i : Set.of(Interaction.SEARCH, Interaction.READ, Interaction.HISTORY, Interaction.VREAD)) allowed(policy, "Bot", i);
        for (var i : Set.of(Interaction.CREATE, Interaction.UPDATE, Interaction.DELETE)) denied(policy, "Bot", i);
        allowed(policy, "Invoice", Interaction.CREATE);
        denied(policy, "Invoice", Interaction.READ);
    }

    @Test
    void policies_are_a_union_and_candidates_stop_at_the_first_entry_without_criteria() {
        var policy = EffectivePolicy.of(MEMBER, List.of(
                source("[{\"resourceType\":\"Patient\",\"criteria\":\"Patient?active=true\",\"hiddenFields\":[\"birthDate\"]}]"),
                source("[{\"resourceType\":\"Patient\",\"hiddenFields\":[\"gender\"]},{\"resourceType\":\"Patient\",\"criteria\":\"Patient?gender=x\"}]")));
        var candidates = allowed(policy, "Patient", Interaction.READ);
        assertThat(candidates).hasSize(2);
        assertThat(candidates.get(0).rule().criteria()).contains("Patient?active=true");
        assertThat(candidates.get(1).rule().restricted()).isFalse();
        assertThat(policy.hiddenAnywhere("Patient")).extracting(FieldPath::toString).containsExactly("birthDate", "gender");
    }

    @Test
    void parameters_are_substituted_in_string_values_in_medplums_order() {
        var policy = EffectivePolicy.of(MEMBER, List.of(source("""
                [{"resourceType":"Communication","criteria":"Communication?sender=%profile"},
                 {"resourceType":"Patient","criteria":"Patient?_id=%patient.id"},
                 {"resourceType":"Observation","criteria":"Observation?_tag=%tenant&subject=%org"}]""",
                new EffectivePolicy.Parameter("tenant", Optional.of("t\",\"x"), Optional.empty()),
                new EffectivePolicy.Parameter("org", Optional.empty(), Optional.of("Organization/o1")))));
        assertThat(allowed(policy, "Communication", Interaction.READ).getFirst().rule().criteria())
                .contains("Communication?sender=ClientApplication/c1");
        assertThat(allowed(policy, "Patient", Interaction.READ).getFirst().rule().criteria()).contains("Patient?_id=c1");
        assertThat(allowed(policy, "Observation", Interaction.READ).getFirst().rule().criteria())
                .as("a quote in a value stays inside the string").contains("Observation?_tag=t\",\"x&subject=Organization/o1");
    }

    @Test
    void admin_types_are_removed_for_non_admins_and_replaced_by_the_fixed_set_for_admins() {
        String listed = "[{\"resourceType\":\"Patient\"},{\"resourceType\":\"ProjectMembership\",\"hiddenFields\":[\"user\"]},{\"resourceType\":\"Project\"}]";
        var member = EffectivePolicy.of(MEMBER, List.of(source(listed)));
        denied(member, "ProjectMembership", Interaction.READ);
        denied(member, "Project", Interaction.READ);
        denied(member, "ClientApplication", Interaction.READ);

        var admin = EffectivePolicy.of(ADMIN, List.of(source(listed)));
        var membership = allowed(admin, "ProjectMembership", Interaction.UPDATE).getFirst();
        assertThat(membership.hidden()).isEmpty();
        assertThat(membership.readonly()).extracting(FieldPath::toString).containsExactly("project", "user");
        var project = allowed(admin, "Project", Interaction.UPDATE).getFirst();
        assertThat(project.hidden()).extracting(FieldPath::toString).containsExactly("superAdmin", "systemSecret", "strictMode");
        denied(admin, "Project", Interaction.DELETE);
        assertThat(allowed(admin, "ClientApplication", Interaction.READ).getFirst().hidden()).isEmpty();
        allowed(admin, "AccessPolicy", Interaction.CREATE);
        allowed(admin, "Bot", Interaction.UPDATE);
        denied(admin, "Login", Interaction.READ);
        denied(admin, "Observation", Interaction.READ);
    }

    @Test
    void a_stored_entry_that_cannot_be_enforced_denies_what_it_would_decide() {
        var policy = EffectivePolicy.of(MEMBER, List.of(source("""
                [{"resourceType":"Patient","criteria":"Observation?code=x"},{"resourceType":"Patient"},
                 {"resourceType":"Invoice","hiddenFields":["a..b"]},{"resourceType":"Account"}]""")));
        denied(policy, "Patient", Interaction.READ);
        denied(policy, "Invoice", Interaction.READ);
        allowed(policy, "Account", Interaction.READ);
        // an entry of unreadable type may have been meant for any type; one after an entry that decides cannot matter
        var unreadable = EffectivePolicy.of(MEMBER, List.of(source("[{\"resourceType\":7},{\"resourceType\":\"Account\"}]")));
        denied(unreadable, "Account", Interaction.READ);
        var later = EffectivePolicy.of(MEMBER, List.of(source("[{\"resourceType\":\"Account\"},{\"resourceType\":7}]")));
        allowed(later, "Account", Interaction.READ);
        denied(EffectivePolicy.unloadable("gone"), "Patient", Interaction.READ);
    }

    @Test
    void a_submitted_policy_gets_every_problem_with_the_field_named() {
        var problems = PolicyDocument.problems(json("""
                {"resourceType":"AccessPolicy","resource":[
                  {"resourceType":"Patient","criteria":"Patient?name=%patient"},
                  {"resourceType":"Patient","criteria":"Observation?code=x"},
                  {"resourceType":"Nope"},
                  {"resourceType":"*","criteria":"*?x=1"},
                  {"resourceType":"Patient","interaction":["read","erase"]},
                  {"resourceType":"Patient","criteria":"Patient?bad=1"}],
                 "ipAccessRule":[{"value":"10.0.0.0/99","action":"allow"},{"value":"*","action":"deny"}]}"""),
                type -> !type.equals("Nope"),
                (type, query) -> query.startsWith("bad") ? Optional.of("unknown parameter") : Optional.empty());
        assertThat(problems).extracting(PolicyDocument.Problem::field).containsExactly("resource[1].criteria",
                "resource[2].resourceType", "resource[3].criteria", "resource[4].interaction[1]", "resource[5].criteria",
                "ipAccessRule[0].value", "ipAccessRule[1].action");
    }
}
