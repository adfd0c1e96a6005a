package dev.fhirhook.webhook;

import dev.fhirhook.api.ApiException;
import java.util.Optional;

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
