package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.audit.SecurityAudit;

/**
 * The outcome of checking a request's credentials. A refusal carries the error the caller sees (always the same
 * 401 for bad credentials, so the answer tells nothing) and, apart from it, the real reason for the audit log.
 */
sealed interface Attempt {
    record Accepted(Principal principal) implements Attempt {}

    /**
     * @param check which check failed, when the reason has several (token checks, inactive client or membership)
     * @param clientId the client the credentials claimed, or null when none could be read or trusted
     */
    record Refused(ApiException error, SecurityAudit.Reason reason, String check, String clientId) implements Attempt {}
}
