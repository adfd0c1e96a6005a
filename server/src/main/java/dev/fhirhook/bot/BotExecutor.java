package dev.fhirhook.bot;

import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.StoredResource;
import java.util.Optional;

/**
 * PLACEHOLDER until the runner lands: the contract the webhook chain and $execute call.
 * Runs a bot for one request and turns the result into the reply (medplum-compat §5.3–§5.5, §10): parses
 * the input by content type, builds the event (secrets, trace id, filtered headers, raw body), runs the
 * code in the sandbox as {@code runAs}, writes the AuditEvent, and answers by the reply rules.
 */
public final class BotExecutor {
    /** Where the request came from; a webhook caller never sees the bot's log. */
    public enum Origin { EXECUTE, WEBHOOK }

    /**
     * @param bot the Bot to run (already found and checked by the caller)
     * @param runAs the ProjectMembership the bot acts as (already checked: active, a policy where needed)
     * @param requester the caller's profile reference ({@code ClientApplication/1}); empty for webhooks
     * @param request the request; its body is the exact bytes received
     */
    public record Execution(StoredResource bot, StoredResource runAs, Optional<String> requester, ApiRequest request,
            Origin origin) {}

    public ApiResponse execute(Execution execution) {
        throw new UnsupportedOperationException("bot runner not built yet");
    }
}
