package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.bot.runtime.BotRuntime;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.InProcessFhir;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * {@code $deploy} and {@code $execute} on Bots (medplum-compat §5, §9.1). Whoever may read a Bot may execute
 * it; the bot runs as its own membership. Thread-safe.
 */
public final class BotApi {
    /** The largest bot code {@code $deploy} accepts. */
    public static final int MAX_CODE_BYTES = 5 * 1024 * 1024;
    /** The {@code $deploy} body: the code as a JSON string, escaped, plus the filename. */
    public static final long MAX_DEPLOY_BODY_BYTES = 2L * MAX_CODE_BYTES + 64 * 1024;

    private final BotExecutor executor;
    private final BotRuntime runtime;
    private final InProcessFhir fhir;
    private final ResourceStore store;
    private final AsyncJobs jobs;

    public BotApi(BotExecutor executor, BotRuntime runtime, InProcessFhir fhir, ResourceStore store, AsyncJobs jobs) {
        this.executor = executor;
        this.runtime = runtime;
        this.fhir = fhir;
        this.store = store;
        this.jobs = jobs;
    }

    /** {@code POST /fhir/R4/Bot/{id}/$deploy} with {@code {code, filename}}. */
    public ApiResponse deploy(ApiRequest request, Scope caller, String callerProfile) {
        request.requireMediaType(java.util.Set.of("application/json", "application/fhir+json"), true);
        JsonNode body = FhirJson.parse(request.body());
        if (!body.isObject()) throw ApiException.badRequest("bot.invalid-deploy", "Expected a JSON object with code and filename");
        var origin = origin(request);
        String botId = request.pathParam("id");
        var bot = (ObjectNode) FhirJson.parse(fhir.call("GET", "Bot/" + botId, new byte[0], Map.of(), caller, origin).body());
        JsonNode code = body.get("code");
        JsonNode filename = body.get("filename");
        if (filename != null && !filename.isTextual()) throw ApiException.badRequest("bot.invalid-deploy", "filename must be a string").at("filename");
        String name = filename == null || filename.asText().isBlank() ? "index.js" : filename.asText();
        if (name.length() > 256 || !name.matches("[^/\\\\\\x00-\\x1f]+")) {
            throw ApiException.badRequest("bot.invalid-deploy", "Invalid filename").at("filename");
        }
        if (code == null || code.isNull() || (code.isTextual() && code.asText().isEmpty())) {
            if (bot.path("executableCode").path("url").isTextual()) return ok(request);
            throw ApiException.badRequest("bot.no-code", "Bot missing executable code").at("code");
        }
        if (!code.isTextual()) throw ApiException.badRequest("bot.invalid-deploy", "code must be a string").at("code");
        String source = code.asText();
        if (source.getBytes(StandardCharsets.UTF_8).length > MAX_CODE_BYTES) {
            throw ApiException.badRequest("bot.code-too-large", "Bot code is too large (at most 5 MB)").at("code");
        }
        if (source.indexOf('\0') >= 0) throw ApiException.badRequest("bot.binary-code", "Bot code must be JavaScript text, not binary data").at("code");
        runtime.check(source, name).ifPresent(problem -> {
            throw ApiException.badRequest("bot.syntax-error", "Syntax error at line " + problem.line() + ", column "
                    + problem.column() + ": " + problem.message()).at("code");
        });
        var binary = FhirJson.mapper().createObjectNode().put("resourceType", "Binary").put("contentType", "text/javascript")
                .put("data", Base64.getEncoder().encodeToString(source.getBytes(StandardCharsets.UTF_8)));
        // beside the Bot, where the runner looks for it, also when a super admin deploys into another project
        String botProject = bot.path("meta").path("project").asText("");
        if (!botProject.isEmpty()) binary.putObject("meta").put("project", botProject);
        var created = FhirJson.parse(fhir.call("POST", "Binary", FhirJson.bytes(binary), Map.of(), caller, origin).body());
        bot.putObject("executableCode").put("contentType", "text/javascript")
                .put("url", "Binary/" + created.path("id").asText()).put("title", name);
        fhir.call("PUT", "Bot/" + botId, FhirJson.bytes(bot), Map.of(), caller, origin);
        return ok(request);
    }

    /** {@code GET|POST /fhir/R4/Bot/{id}/$execute} and {@code /fhir/R4/Bot/$execute?identifier=system|value}. */
    public ApiResponse execute(ApiRequest request, Scope caller, String callerProfile, Optional<String> callerMembershipId) {
        var origin = origin(request);
        String url;
        if (request.pathParams().containsKey("id")) {
            url = "Bot/" + request.pathParam("id");
        } else {
            String identifier = request.queryParam("identifier")
                    .orElseThrow(() -> ApiException.badRequest("bot.no-target", "Must specify bot ID or identifier."));
            url = "Bot?_count=1&identifier=" + java.net.URLEncoder.encode(identifier, StandardCharsets.UTF_8);
        }
        // read as the caller: reading the Bot is the permission to run it
        JsonNode found = FhirJson.parse(fhir.call("GET", url, new byte[0], Map.of(), caller, origin).body());
        if (found.path("resourceType").asText().equals("Bundle")) {
            found = found.path("entry").path(0).path("resource");
            if (found.isMissingNode()) throw ApiException.notFound();
        }
        StoredResource bot = store.findAnyProject("Bot", found.path("id").asText("")).orElseThrow(ApiException::notFound);
        StoredResource runAs = bot.json().path("runAsUser").asBoolean(false) && callerMembershipId.isPresent()
                ? store.findAnyProject("ProjectMembership", callerMembershipId.get()).orElseThrow(ApiException::notFound)
                : executor.requireMembership(bot);
        var execution = new BotExecutor.Execution(bot, runAs, Optional.of(callerProfile), request, BotExecutor.Origin.EXECUTE);
        if (request.header("prefer").map(p -> p.strip().equals("respond-async")).orElse(false)) {
            return jobs.start(execution, caller);
        }
        return executor.execute(execution);
    }

    private static InProcessFhir.Origin origin(ApiRequest request) {
        return new InProcessFhir.Origin(request.ids(), request.clientIp(), request.baseUrl());
    }

    private static ApiResponse ok(ApiRequest request) {
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, FhirJson.bytes(Outcomes.allOk(request.ids())));
    }
}
