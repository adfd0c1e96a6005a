package dev.fhirhook.webhook;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.bot.Secrets;
import dev.fhirhook.fhir.GenerationCache;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.MembershipPolicies;
import dev.fhirhook.webhook.signature.SignatureScheme;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Resolves the membership id of a webhook URL to its {@link Target}, with the checks of medplum-compat §4.2 in
 * their order: unknown or not a UUID 404, deleted 410, not a Bot 403, no loadable access policy 403, inactive
 * (fhirhook) 403, the Bot missing 404 / deleted 410, {@code publicWebhook} not true 403.
 *
 * <p>Outcomes for memberships that exist are cached for {@link #TTL} (a flood at one bot, forged or not, costs no
 * queries), and dropped as soon as a write of a membership, policy, Bot or Project (secrets) commits in this
 * process ({@link ResourceStore#securityGeneration()}); other nodes see such a change within the TTL. Ids that do
 * not exist are not cached, so a flood of random ids cannot evict real targets. Thread-safe.
 */
final class WebhookTargets {
    static final Duration TTL = Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 10_000;
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    static final String NOT_A_BOT = "ProjectMembership must be for a Bot resource";
    static final String NO_POLICY = "ProjectMembership must have an Access Policy";
    static final String INACTIVE = "ProjectMembership is not active";
    static final String NOT_PUBLIC = "Bot is not configured for public webhook access";

    private final ResourceStore store;
    private final MembershipPolicies policies;
    private final Secrets secrets;
    private final long serverMaxBodyBytes;
    private final GenerationCache<String, Resolution> cache;

    WebhookTargets(ResourceStore store, MembershipPolicies policies, Secrets secrets, Clock clock, long serverMaxBodyBytes) {
        this.store = store;
        this.policies = policies;
        this.secrets = secrets;
        this.serverMaxBodyBytes = serverMaxBodyBytes;
        this.cache = new GenerationCache<>(clock, TTL, store::securityGeneration, MAX_ENTRIES);
    }

    Resolution resolve(String membershipId) {
        if (!UUID_TEXT.matcher(membershipId).matches()) return unknown("the id is not a UUID");
        var lookup = cache.lookup(membershipId);
        if (lookup.hit().isPresent()) return lookup.hit().get();
        var membership = find("ProjectMembership", membershipId);
        if (membership.isEmpty()) return unknown("no such ProjectMembership");
        return lookup.keep(check(membership.get()));
    }

    private Resolution check(Found membership) {
        var pm = membership.resource();
        if (membership.deleted()) {
            return refused(Reason.UNKNOWN_TARGET, ApiException.gone(), "the ProjectMembership is deleted", pm, null);
        }
        var json = pm.json();
        String profile = json.path("profile").path("reference").asText("");
        if (!profile.startsWith("Bot/")) {
            return refused(Reason.UNKNOWN_TARGET, ApiException.forbidden("webhook.not-a-bot", NOT_A_BOT),
                    "the ProjectMembership is not for a Bot", pm, null);
        }
        String botId = profile.substring("Bot/".length());
        // Medplum asks only that a policy be named (without one a membership has full access); fhirhook also
        // asks that every named policy loads
        boolean named = json.has("accessPolicy") || !json.path("access").isEmpty();
        var effective = policies.effective(pm, false);
        if (!named || !effective.policy().loadable()) {
            return refused(Reason.NO_POLICY, ApiException.forbidden("webhook.no-policy", NO_POLICY),
                    "the ProjectMembership has no access policy that loads", pm, null);
        }
        if (json.path("active").isBoolean() && !json.path("active").asBoolean()) {
            return refused(Reason.INACTIVE, ApiException.forbidden("webhook.inactive", INACTIVE),
                    "the ProjectMembership is not active", pm, null);
        }
        var found = find("Bot", botId).filter(b -> b.resource().projectId().equals(pm.projectId()));
        if (found.isEmpty() || found.get().deleted()) {
            var error = found.isEmpty() ? ApiException.notFound("webhook.unknown-target", "Not found") : ApiException.gone();
            return refused(Reason.UNKNOWN_TARGET, error, found.isEmpty() ? "the Bot does not exist in the project"
                    : "the Bot is deleted", pm, null);
        }
        var bot = found.get().resource();
        var botJson = bot.json();
        var notPublic = ApiException.forbidden("webhook.not-public", NOT_PUBLIC);
        if (!botJson.path("publicWebhook").asBoolean(false) || !botJson.path("publicWebhook").isBoolean()) {
            return refused(Reason.NOT_PUBLIC, notPublic, "the Bot's publicWebhook is not true", pm, bot.id());
        }
        WebhookSettings settings;
        try {
            settings = WebhookSettings.parse(botJson.get("webhook"), serverMaxBodyBytes);
        } catch (ApiException e) {
            // stored before validation existed, or by a server-side write: refuse rather than run unchecked
            return refused(Reason.NOT_PUBLIC, notPublic, "the Bot's webhook element is invalid: " + e.expression(), pm,
                    bot.id());
        }
        var checks = new LinkedHashMap<SignatureScheme, List<String>>();
        var missing = new ArrayList<String>();
        for (var verify : settings.verify()) {
            var value = secrets.value(bot, botJson, pm.projectId(), verify.secret()).filter(v -> !v.isEmpty());
            if (value.isEmpty()) {
                missing.add(verify.secret());
                continue;
            }
            checks.computeIfAbsent(verify.scheme(), s -> new ArrayList<>()).add(value.get());
        }
        var grouped = checks.entrySet().stream()
                .map(e -> new Target.SignatureCheck(e.getKey(), List.copyOf(e.getValue()))).toList();
        return new Resolution.Found(new Target(pm, bot, botJson, settings, effective.ipRules(), grouped, List.copyOf(missing)));
    }

    /** A current row, deleted or not. */
    private record Found(StoredResource resource, boolean deleted) {}

    private Optional<Found> find(String type, String id) {
        return store.findCurrentAnyProject(type, id).map(r -> new Found(r, r.deleted()));
    }

    private static Resolution unknown(String detail) {
        return new Resolution.Refused(new Refusal(Reason.UNKNOWN_TARGET,
                ApiException.notFound("webhook.unknown-target", "Not found"), detail, Optional.empty(), Optional.empty(),
                Optional.empty()));
    }

    private static Resolution refused(Reason reason, ApiException error, String detail, StoredResource pm, String botId) {
        return new Resolution.Refused(new Refusal(reason, error, detail, Optional.of(pm.projectId()), Optional.of(pm.id()),
                Optional.ofNullable(botId)));
    }
}
