package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.IpRules;
import dev.fhirhook.webhook.signature.SignatureScheme;
import java.util.List;

/**
 * Where a webhook request goes, once the membership in its URL has passed every check of medplum-compat §4.2.
 *
 * @param membership the ProjectMembership the bot runs as
 * @param bot the Bot it names, in the same project
 * @param botJson the Bot's content, parsed once for every run the cached target serves: read, never changed
 * @param policyIpRules the {@code ipAccessRule}s of the membership's access policies
 * @param checks the configured signatures with their secrets' values, grouped by scheme
 * @param missingSecrets names in {@code webhook.verify[].secret} that the project does not define
 */
record Target(StoredResource membership, StoredResource bot, JsonNode botJson, WebhookSettings settings,
        IpRules policyIpRules, List<SignatureCheck> checks, List<String> missingSecrets) {

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
