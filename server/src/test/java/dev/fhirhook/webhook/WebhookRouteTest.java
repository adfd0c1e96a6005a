package dev.fhirhook.webhook;

import static dev.fhirhook.webhook.Hooks.assertOutcome;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestServer;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code GET|POST /webhook/{ProjectMembership.id}} (medplum-compat §4.1, §4.2): the routes, and every check in
 * Medplum's order with its status and text as an OperationOutcome. A request that passes every check meets the
 * Bot's signature check ({@code stripe} here), so an unsigned one answers 401 {@code webhook.signature-missing}.
 */
class WebhookRouteTest {
    private static final String STRIPE = "{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}]}";
    private static final String NOT_A_BOT = "ProjectMembership must be for a Bot resource";
    private static final String NO_POLICY = "ProjectMembership must have an Access Policy";
    private static final String INACTIVE = "ProjectMembership is not active";
    private static final String NOT_PUBLIC = "Bot is not configured for public webhook access";

    private static Hooks.Hook hook() {
        return Hooks.create(STRIPE, Map.of("STRIPE", Hooks.STRIPE_SECRET));
    }

    private static Api.Reply post(Hooks.Hook hook) {
        return hook.post("{\"id\":\"evt_1\"}", Map.of());
    }

    private static void patchMembership(Hooks.Hook hook, String patch) {
        var reply = hook.admin().patch("/fhir/R4/ProjectMembership/" + hook.membershipId(), patch);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private static void patchBot(Hooks.Hook hook, String patch) {
        var reply = hook.admin().patch("/fhir/R4/Bot/" + hook.botId(), patch);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private static void assertPassesEveryCheck(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(401);
        assertThat(reply.errorCode()).isEqualTo("webhook.signature-missing");
    }

    @Test
    void a_request_that_passes_every_check_meets_the_signature_check_without_any_credentials() {
        var reply = post(hook());
        assertOutcome(reply, 401, "unauthorized", "Unauthorized");
        assertThat(reply.json().path("issue").path(0).path("code").asText()).isEqualTo("login");
        assertPassesEveryCheck(reply);
    }

    @Test
    void get_is_registered_as_documented() {
        var hook = hook();
        assertPassesEveryCheck(hook.send("GET", hook.path() + "?a=1", null, null, Map.of()));
    }

    @Test
    void the_api_prefix_and_the_project_routes_reach_the_same_bot() {
        var hook = hook();
        String project = hook.project().projectId();
        for (String path : new String[] {"/api/webhook/" + hook.membershipId(),
                "/projects/" + project + "/webhook/" + hook.membershipId(),
                "/api/projects/" + project + "/webhook/" + hook.membershipId()}) {
            assertPassesEveryCheck(hook.send("POST", path, "application/json", Hooks.utf8("{}"), Map.of()));
            assertPassesEveryCheck(hook.send("GET", path, null, null, Map.of()));
        }
    }

    @Test
    void the_project_route_naming_another_project_is_404() {
        var hook = hook();
        String other = TestServer.get().newProject().projectId();
        var reply = hook.send("POST", "/projects/" + other + "/webhook/" + hook.membershipId(), "application/json",
                Hooks.utf8("{}"), Map.of());
        assertOutcome(reply, 404, "not-found", "Not found");
    }

    @Test
    void sent_credentials_are_not_checked_and_change_nothing() {
        var hook = hook();
        assertPassesEveryCheck(hook.post("{}", Map.of("Authorization", "Basic " + Hooks.b64(Hooks.utf8("no:such")))));
        assertPassesEveryCheck(hook.post("{}", Map.of("Authorization", "Bearer not-a-token")));
    }

    @Test
    void other_methods_are_405_with_allow() {
        var hook = hook();
        var reply = hook.send("PUT", hook.path(), "application/json", Hooks.utf8("{}"), Map.of());
        assertThat(reply.status()).isEqualTo(405);
        assertThat(reply.header("Allow")).isEqualTo("GET, POST");
    }

    @Test
    void refusals_carry_the_standard_headers() {
        var reply = TestServer.get().anonymous().post("/webhook/" + UUID.randomUUID(), "{}");
        assertThat(reply.header("Cache-Control")).isEqualTo("no-store, no-cache, must-revalidate");
        assertThat(reply.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(reply.header("X-Request-Id")).isNotBlank();
    }

    // --- step 3: the membership ------------------------------------------------------------------------------

    @Test
    void an_id_that_is_not_a_uuid_is_404() {
        var anonymous = TestServer.get().anonymous();
        assertOutcome(anonymous.post("/webhook/not-a-uuid", "{}"), 404, "not-found", "Not found");
        // a real membership of a client, addressed by a non-UUID id, is not looked up either
        assertOutcome(anonymous.post("/webhook/" + TestServer.ADMIN_ID, "{}"), 404, "not-found", "Not found");
    }

    @Test
    void an_unknown_membership_is_404() {
        assertOutcome(TestServer.get().anonymous().post("/webhook/" + UUID.randomUUID(), "{}"), 404, "not-found",
                "Not found");
        assertOutcome(TestServer.get().anonymous().get("/webhook/" + UUID.randomUUID()), 404, "not-found", "Not found");
    }

    @Test
    void a_deleted_membership_is_410() {
        var hook = hook();
        assertThat(hook.admin().delete("/fhir/R4/ProjectMembership/" + hook.membershipId()).status()).isEqualTo(200);
        var reply = post(hook);
        assertOutcome(reply, 410, "gone", "Gone");
        assertThat(reply.json().path("issue").path(0).path("code").asText()).isEqualTo("deleted");
    }

    // --- step 4: a Bot's membership --------------------------------------------------------------------------

    @Test
    void a_membership_of_a_client_application_is_403() {
        var project = TestServer.get().newProject();
        var reply = TestServer.get().anonymous().post("/webhook/" + project.membershipId(), "{}");
        assertOutcome(reply, 403, "forbidden", NOT_A_BOT);
        assertThat(reply.json().path("issue").path(0).path("code").asText()).isEqualTo("forbidden");
    }

    @Test
    void a_membership_whose_profile_is_not_a_bot_is_403_even_when_its_user_is() {
        var hook = hook();
        patchMembership(hook, "[{\"op\":\"replace\",\"path\":\"/profile\",\"value\":{\"reference\":\"Patient/1\"}}]");
        assertOutcome(post(hook), 403, "forbidden", NOT_A_BOT);
    }

    // --- step 5: an access policy that loads --------------------------------------------------------------

    @Test
    void a_membership_without_an_access_policy_is_403() {
        var hook = hook();
        patchMembership(hook, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]");
        assertOutcome(post(hook), 403, "forbidden", NO_POLICY);
    }

    @Test
    void an_empty_access_list_is_no_policy() {
        var hook = hook();
        patchMembership(hook, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"},{\"op\":\"add\",\"path\":\"/access\",\"value\":[]}]");
        assertOutcome(post(hook), 403, "forbidden", NO_POLICY);
    }

    @Test
    void a_policy_given_in_access_is_enough() {
        var hook = hook();
        patchMembership(hook, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"},{\"op\":\"add\",\"path\":\"/access\","
                + "\"value\":[{\"policy\":{\"reference\":\"AccessPolicy/" + hook.policyId() + "\"}}]}]");
        assertPassesEveryCheck(post(hook));
    }

    @Test
    void a_policy_that_does_not_load_is_403_with_the_same_text() {
        var deleted = hook();
        assertThat(deleted.admin().delete("/fhir/R4/AccessPolicy/" + deleted.policyId()).status()).isEqualTo(200);
        assertOutcome(post(deleted), 403, "forbidden", NO_POLICY);

        var missing = hook();
        patchMembership(missing, "[{\"op\":\"replace\",\"path\":\"/accessPolicy\",\"value\":{\"reference\":\"AccessPolicy/"
                + UUID.randomUUID() + "\"}}]");
        assertOutcome(post(missing), 403, "forbidden", NO_POLICY);

        var elsewhere = hook();
        var foreign = hook();
        patchMembership(elsewhere, "[{\"op\":\"replace\",\"path\":\"/accessPolicy\",\"value\":{\"reference\":"
                + "\"AccessPolicy/" + foreign.policyId() + "\"}}]");
        assertOutcome(post(elsewhere), 403, "forbidden", NO_POLICY);

        var oneOfTwo = hook();
        patchMembership(oneOfTwo, "[{\"op\":\"add\",\"path\":\"/access\",\"value\":[{\"policy\":{\"reference\":"
                + "\"AccessPolicy/" + UUID.randomUUID() + "\"}}]}]");
        assertOutcome(post(oneOfTwo), 403, "forbidden", NO_POLICY);
    }

    // --- fhirhook: an active membership -------------------------------------------------------------------

    @Test
    void an_inactive_membership_is_403() {
        var hook = hook();
        patchMembership(hook, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]");
        assertOutcome(post(hook), 403, "forbidden", INACTIVE);
        patchMembership(hook, "[{\"op\":\"replace\",\"path\":\"/active\",\"value\":true}]");
        assertPassesEveryCheck(post(hook));
    }

    // --- step 6: the Bot ----------------------------------------------------------------------------------

    @Test
    void a_deleted_bot_is_410() {
        var hook = hook();
        assertThat(hook.admin().delete("/fhir/R4/Bot/" + hook.botId()).status()).isEqualTo(200);
        assertOutcome(post(hook), 410, "gone", "Gone");
    }

    @Test
    void a_bot_in_another_project_is_404() {
        var hook = hook();
        var other = hook();
        patchMembership(hook, "[{\"op\":\"replace\",\"path\":\"/profile\",\"value\":{\"reference\":\"Bot/" + other.botId()
                + "\"}}]");
        assertOutcome(post(hook), 404, "not-found", "Not found");
    }

    @Test
    void a_missing_bot_is_404() {
        var hook = hook();
        patchMembership(hook, "[{\"op\":\"replace\",\"path\":\"/profile\",\"value\":{\"reference\":\"Bot/"
                + UUID.randomUUID() + "\"}}]");
        assertOutcome(post(hook), 404, "not-found", "Not found");
    }

    // --- step 7: publicWebhook ----------------------------------------------------------------------------

    @Test
    void a_bot_without_public_webhook_is_403() {
        var hook = Hooks.create(TestServer.get().baseUrl(), TestServer.get().newProject(), STRIPE,
                Map.of("STRIPE", Hooks.STRIPE_SECRET), false);
        assertOutcome(post(hook), 403, "forbidden", NOT_PUBLIC);
        patchBot(hook, "[{\"op\":\"remove\",\"path\":\"/publicWebhook\"}]");
        assertOutcome(post(hook), 403, "forbidden", NOT_PUBLIC);
        patchBot(hook, "[{\"op\":\"add\",\"path\":\"/publicWebhook\",\"value\":\"true\"}]");
        assertOutcome(post(hook), 403, "forbidden", NOT_PUBLIC);
        patchBot(hook, "[{\"op\":\"replace\",\"path\":\"/publicWebhook\",\"value\":true}]");
        assertPassesEveryCheck(post(hook));
    }

    // --- the order ----------------------------------------------------------------------------------------

    @Test
    void the_checks_run_in_order() {
        var hook = hook();
        patchBot(hook, "[{\"op\":\"replace\",\"path\":\"/publicWebhook\",\"value\":false}]");
        patchMembership(hook, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]");
        assertOutcome(post(hook), 403, "forbidden", INACTIVE); // before publicWebhook
        patchMembership(hook, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]");
        assertOutcome(post(hook), 403, "forbidden", NO_POLICY); // before active
        patchMembership(hook, "[{\"op\":\"replace\",\"path\":\"/profile\",\"value\":{\"reference\":\"Device/1\"}}]");
        assertOutcome(post(hook), 403, "forbidden", NOT_A_BOT); // before the policy
        assertThat(hook.admin().delete("/fhir/R4/ProjectMembership/" + hook.membershipId()).status()).isEqualTo(200);
        assertOutcome(post(hook), 410, "gone", "Gone"); // first of all
    }

    @Test
    void a_change_takes_effect_on_the_next_request() {
        var hook = hook();
        assertPassesEveryCheck(post(hook)); // now cached
        patchBot(hook, "[{\"op\":\"replace\",\"path\":\"/publicWebhook\",\"value\":false}]");
        assertOutcome(post(hook), 403, "forbidden", NOT_PUBLIC);
    }
}
