package dev.fhirhook.webhook;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.IpRules;
import dev.fhirhook.webhook.signature.SignatureScheme;
import java.util.List;
import java.util.Optional;

/**
 * Where a webhook request goes, once the membership in its URL has passed every check of medplum-compat §4.2.
 *
 * @param membership the ProjectMembership the bot runs as
 * @param bot the Bot it names, in the same project
 * @param policyIpRules the {@code ipAccessRule}s of the membership's access policies
 * @param checks the configured signatures with their secrets' values, grouped by scheme
 * @param missingSecrets names in {@code webhook.verify[].secret} that the project does not define
 */
record Target(StoredResource membership, StoredResource bot, WebhookSettings settings, IpRules policyIpRules,
        List<SignatureCheck> checks, List<String> missingSecrets) {

    String projectId() {
        return membership.projectId();
    }

    /**
     * One scheme with every secret configured for it (current first, then retiring ones), so that the scheme's own
     * rotation applies. Holds secret values: never logged or audited.
     */
    record SignatureCheck(SignatureScheme scheme, List<String> secrets) {
        @Override
        public String toString() {
            return "SignatureCheck[" + scheme.name() + ", " + secrets.size() + " secrets]";
        }
    }
}

/** The outcome of resolving the membership in a webhook URL. */
sealed interface Resolution {
    record Found(Target target) implements Resolution {}

    record Refused(Refusal refusal) implements Resolution {}
}

/**
 * A refused webhook request: what the caller gets, why, and where to audit it.
 *
 * @param detail a fixed text of ours for the audit trail; never request data or secret values
 * @param projectId the target's project when known (the AuditEvent goes there), else empty (log line only)
 * @param membershipId the membership in the URL, when it exists
 * @param botId the Bot, when known
 */
record Refusal(Reason reason, ApiException error, String detail, Optional<String> projectId,
        Optional<String> membershipId, Optional<String> botId) {

    static Refusal of(Reason reason, ApiException error, String detail, Target target) {
        return new Refusal(reason, error, detail, Optional.of(target.projectId()), Optional.of(target.membership().id()),
                Optional.of(target.bot().id()));
    }
}
