package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.bot.runtime.BotCode;
import dev.fhirhook.bot.runtime.BotEvent;
import dev.fhirhook.bot.runtime.BotRuntime;
import dev.fhirhook.bot.runtime.HostCallException;
import dev.fhirhook.bot.runtime.ReturnValue;
import dev.fhirhook.bot.runtime.RunLimits;
import dev.fhirhook.bot.runtime.RunResult;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.InProcessFhir;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.MembershipPolicies;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Runs a bot for one request and turns the result into the reply (medplum-compat §5.3–§5.4, §6, §10): parses
 * the input by content type, builds the event (secrets, trace id, filtered headers, raw body), runs the code
 * in the sandbox as {@code runAs} under that membership's policy, writes the AuditEvent, and answers by the
 * reply rules. Thread-safe.
 */
public final class BotExecutor {
    /** Where the request came from; a webhook caller never sees the bot's log. */
    public enum Origin { EXECUTE, WEBHOOK }

    /**
     * @param bot the Bot to run (already found and checked by the caller)
     * @param botJson the Bot's content: code, event, limits, secrets and audit all read it; the run never changes it,
     *     so a caller may share one parse between runs of the same version
     * @param runAs the ProjectMembership the bot acts as (already checked: active, a policy where needed)
     * @param requester the caller's profile reference ({@code ClientApplication/1}); empty for webhooks
     * @param request the request; its body is the exact bytes received
     */
    public record Execution(StoredResource bot, JsonNode botJson, StoredResource runAs, Optional<String> requester,
            ApiRequest request, Origin origin) {
        /** With the Bot's content parsed for this run. */
        public Execution(StoredResource bot, StoredResource runAs, Optional<String> requester, ApiRequest request,
                Origin origin) {
            this(bot, bot.json(), runAs, requester, request, origin);
        }
    }

    /** What the executor reads and writes through. */
    public record Backend(ResourceStore store, InProcessFhir fhir, Secrets secrets, MembershipPolicies policies,
            dev.fhirhook.audit.AuditLog audit) {}

    /** The text a webhook caller gets for a failed run; the log goes only to the AuditEvent. */
    static final String WEBHOOK_FAILURE_TEXT = "Bot execution failed";
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_TIMEOUT_SECONDS = 900;
    /** How deep {@code medplum.executeBot} may nest before it is refused. */
    static final int MAX_NESTING = 4;
    /** Headers a bot never sees: the caller's credentials. */
    private static final Set<String> HIDDEN_HEADERS = Set.of("authorization", "proxy-authorization", "cookie");

    private final BotRuntime runtime;
    private final Backend backend;
    private final BotAudit audit;
    private final BotCodeCache codes;
    private final Clock clock;

    public BotExecutor(BotRuntime runtime, Backend backend, Clock clock) {
        this.runtime = runtime;
        this.backend = backend;
        this.audit = new BotAudit(backend.audit());
        this.codes = new BotCodeCache(backend.store(), clock);
        this.clock = clock;
    }

    /** Where this node's bot runs ran: on their callers' threads or handed to run threads. */
    public BotRuntime.Placements placements() {
        return runtime.placements();
    }

    /** Runs the bot and answers by the reply rules; a refused or failed run is thrown as an {@link ApiException}. */
    public ApiResponse execute(Execution execution) {
        return reply(execution, run(execution, 0));
    }

    /**
     * Runs the bot and returns how the run ended, for callers that answer later (async jobs).
     *
     * @throws ApiException when the request is refused before any code runs (no code, unparsable input)
     */
    RunResult run(Execution execution, int depth) {
        var request = execution.request();
        Instant start = clock.instant();
        long t0 = System.nanoTime();
        JsonNode bot = execution.botJson();
        BotCode code;
        BotInput input;
        try {
            code = code(execution.bot(), bot);
            input = BotInput.of(request);
        } catch (ApiException refused) {
            audit.record(new BotAudit.Run(execution.bot(), bot, execution.runAs(), execution.requester(), start,
                    clock.instant(), Duration.ofNanos(System.nanoTime() - t0), false, "rejected", refused.text(), request.ids()));
            throw refused;
        }
        BotEvent event = event(execution, bot, input);
        var scope = backend.policies().scopeFor(execution.runAs());
        var origin = new InProcessFhir.Origin(request.ids(), request.clientIp(), request.baseUrl());
        var bridge = new MedplumBridge(backend.fhir(), scope, origin,
                (target, botInput, contentType) -> executeNested(execution, target, botInput, contentType, depth));
        RunResult result = runtime.run(code, event, bridge, limits(bot));
        String reason = switch (result) {
            case RunResult.Returned r -> null;
            case RunResult.Failed f -> f.reason().name().toLowerCase(java.util.Locale.ROOT);
            case RunResult.Rejected r -> "rejected";
        };
        audit.record(new BotAudit.Run(execution.bot(), bot, execution.runAs(), execution.requester(), start, clock.instant(),
                Duration.ofNanos(System.nanoTime() - t0), reason == null, reason, result.log(), request.ids()));
        return result;
    }

    ApiResponse reply(Execution execution, RunResult result) {
        var request = execution.request();
        return switch (result) {
            case RunResult.Returned returned -> {
                var response = BotReply.of(returned.value(), request.mediaType(), id -> binary(execution.runAs(), id));
                yield response != null ? response : outcome(200, Outcomes.allOk(request.ids()));
            }
            case RunResult.Failed failed -> {
                String text = execution.origin() == Origin.WEBHOOK ? WEBHOOK_FAILURE_TEXT : failed.message();
                throw ApiException.badRequest("bot.failed-" + failed.reason().name().toLowerCase(java.util.Locale.ROOT), text);
            }
            case RunResult.Rejected rejected -> {
                var refusal = switch (rejected.saturated()) {
                    case BOT -> ApiException.tooManyRequests();
                    case SERVER -> ApiException.unavailable("bot.saturated", "Too many bots are running; try again shortly");
                };
                yield outcome(refusal.status(), Outcomes.of(refusal, request.ids())).withHeader("Retry-After", "1");
            }
        };
    }

    private static ApiResponse outcome(int status, ObjectNode outcome) {
        return ApiResponse.json(status, ApiResponse.FHIR_JSON, FhirJson.bytes(outcome));
    }

    /**
     * {@code medplum.executeBot}: the target is looked up as the calling bot (so its policy must let it read
     * the Bot) and runs as its own membership; nesting is bounded so bots calling each other cannot recurse.
     */
    private String executeNested(Execution parent, JsonNode target, JsonNode input, String contentType, int depth)
            throws HostCallException {
        var ids = parent.request().ids();
        try {
            if (depth + 1 > MAX_NESTING) {
                throw ApiException.badRequest("bot.nesting", "Bots may call other bots at most " + MAX_NESTING + " deep");
            }
            var scope = backend.policies().scopeFor(parent.runAs());
            var origin = new InProcessFhir.Origin(ids, parent.request().clientIp(), parent.request().baseUrl());
            String url = target.isObject()
                    ? "Bot?identifier=" + java.net.URLEncoder.encode(target.path("system").asText("") + "|"
                            + target.path("value").asText(""), StandardCharsets.UTF_8)
                    : "Bot/" + target.asText("");
            JsonNode found = FhirJson.parse(backend.fhir().call("GET", url, new byte[0], Map.of(), scope, origin).body());
            if (found.path("resourceType").asText().equals("Bundle")) found = found.path("entry").path(0).path("resource");
            String botId = found.path("id").asText("");
            var bot = backend.store().findAnyProject("Bot", botId).orElseThrow(ApiException::notFound);
            var runAs = requireMembership(bot);
            byte[] body = input.isTextual() ? input.asText().getBytes(StandardCharsets.UTF_8) : FhirJson.bytes(input);
            var request = new ApiRequest("POST", "/fhir/R4/Bot/" + botId + "/$execute", Map.of("id", botId), Map.of(),
                    Map.of("content-type", List.of(contentType)), body, ids, parent.request().clientIp(),
                    parent.request().baseUrl());
            String requester = parent.runAs().json().path("profile").path("reference").asText("Bot/" + parent.bot().id());
            var execution = new Execution(bot, runAs, Optional.of(requester), request, Origin.EXECUTE);
            ApiResponse response = reply(execution, run(execution, depth + 1));
            String text = new String(response.body(), StandardCharsets.UTF_8);
            boolean json = response.contentType() != null && response.contentType().contains("json");
            return json ? text : FhirJson.mapper().getNodeFactory().textNode(text).toString();
        } catch (ApiException e) {
            throw new HostCallException(e.text(), Outcomes.of(e, ids).toString());
        }
    }

    /**
     * The membership a bot runs as: the one in its project whose user is the Bot. A Bot made with a plain
     * {@code POST /Bot} has none and is refused — never run with the caller's rights (medplum-compat §5.2).
     */
    public StoredResource requireMembership(StoredResource bot) {
        var membership = backend.store().findMembershipByUser(bot.projectId(), "Bot/" + bot.id())
                .orElseThrow(() -> ApiException.badRequest("bot.no-membership", "Could not find project membership for bot"));
        if (!membership.json().path("active").asBoolean(true)) {
            throw ApiException.forbidden("bot.inactive-membership", "ProjectMembership is not active");
        }
        return membership;
    }

    /**
     * The code {@code Bot.executableCode} names: a Binary of the bot's project, decoded once per Binary version
     * ({@link BotCodeCache}). Missing, in another project or undecodable, it is no code.
     */
    private BotCode code(StoredResource bot, JsonNode botJson) {
        // any of Medplum's three runtimes runs here, in the sandbox; another code (a Bot written over REST) is
        // refused as Medplum refuses it (medplum-compat §8), whatever code it has
        JsonNode runtimeVersion = botJson.path("runtimeVersion");
        if (!runtimeVersion.isMissingNode() && !BotCreation.RUNTIMES.contains(runtimeVersion.asText(""))) {
            throw ApiException.badRequest("bot.unsupported-runtime", "Unsupported bot runtime");
        }
        JsonNode executable = botJson.path("executableCode");
        String url = executable.path("url").asText("");
        if (url.isEmpty()) throw ApiException.badRequest("bot.no-code", "No executable code");
        if (!url.startsWith("Binary/")) throw ApiException.badRequest("bot.code-not-binary", "Executable code is not a Binary");
        var source = codes.find(bot.projectId(), url.substring("Binary/".length()))
                .orElseThrow(() -> ApiException.badRequest("bot.no-code", "No executable code"));
        String filename = executable.path("title").asText("index.js");
        return new BotCode(bot.id(), source.version(), source.text(), filename);
    }

    private Optional<JsonNode> binary(StoredResource runAs, String id) {
        return backend.store().findAnyProject("Binary", id).filter(b -> b.projectId().equals(runAs.projectId()))
                .map(StoredResource::json);
    }

    private static RunLimits limits(JsonNode bot) {
        JsonNode timeout = bot.path("timeout");
        Duration limit = DEFAULT_TIMEOUT;
        if (timeout.canConvertToInt() && timeout.asInt() > 0) limit = Duration.ofSeconds(Math.min(timeout.asInt(), MAX_TIMEOUT_SECONDS));
        return RunLimits.defaults(limit);
    }

    private BotEvent event(Execution execution, JsonNode botJson, BotInput input) {
        var request = execution.request();
        var m = FhirJson.mapper();
        ObjectNode event = m.createObjectNode();
        var bot = event.putObject("bot").put("reference", "Bot/" + execution.bot().id());
        if (botJson.path("name").isTextual()) bot.put("display", botJson.get("name").asText());
        execution.requester().ifPresent(r -> event.putObject("requester").put("reference", r));
        if (input.inputIsRawBody()) {
            event.putNull("input"); // placeholders the sandbox fills from BotEvent.jsonBody
            event.putNull("rawBody");
        } else {
            event.set("input", input.input());
            if (input.rawBody() != null) event.put("rawBody", input.rawBody());
        }
        if (input.rawBodyBase64()) event.put("rawBodyEncoding", "base64");
        request.header("content-type").ifPresent(ct -> event.put("contentType", ct));
        event.set("secrets", backend.secrets().forRun(execution.bot(), botJson, execution.runAs().projectId()));
        event.put("traceId", request.ids().traceId());
        var headers = event.putObject("headers");
        for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
            if (HIDDEN_HEADERS.contains(header.getKey())) continue;
            headers.put(header.getKey(), String.join(", ", header.getValue()));
        }
        return new BotEvent(event.toString(), input.inputIsRawBody() ? input.rawBody() : null);
    }
}
