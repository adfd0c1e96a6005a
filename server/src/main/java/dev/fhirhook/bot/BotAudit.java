package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.audit.AuditLog;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.StoredResource;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The AuditEvent of one bot run, as Medplum writes it (medplum-compat §10), plus fhirhook's run duration and
 * failure reason in an extension; honours {@code Bot.auditEventTrigger} and {@code auditEventDestination}
 * ({@code log} always writes a JSON line). Thread-safe.
 */
final class BotAudit {
    static final String TYPE_SYSTEM = "https://medplum.com/CodeSystem/audit-event";
    static final String RUN_EXTENSION = "https://fhirhook.dev/StructureDefinition/bot-run";
    /** Medplum's tail length for the log in {@code outcomeDesc}. */
    static final int MAX_LOG_CHARS = 10_240;

    /**
     * One finished (or refused) run.
     *
     * @param botJson the Bot's content, as the run read it (possibly shared with other runs: read only)
     * @param reason null on success, else timeout, memory, error, rejected...
     */
    record Run(StoredResource bot, JsonNode botJson, StoredResource runAs, Optional<String> requester, Instant start,
            Instant end, Duration duration, boolean success, String reason, String log, RequestIds ids) {}

    private final AuditLog audit;

    BotAudit(AuditLog audit) {
        this.audit = audit;
    }

    void record(Run run) {
        JsonNode bot = run.botJson();
        String trigger = bot.path("auditEventTrigger").asText("always");
        boolean write = switch (trigger) {
            case "never" -> false;
            case "on-error" -> !run.success();
            case "on-output" -> !run.log().isEmpty();
            default -> true;
        };
        if (!write) return;
        audit.record(run.runAs().projectId(), event(run, bot), destinations(bot));
    }

    private static Set<AuditLog.Destination> destinations(JsonNode bot) {
        if (!bot.path("auditEventDestination").isArray() || bot.path("auditEventDestination").isEmpty()) {
            return EnumSet.of(AuditLog.Destination.RESOURCE);
        }
        var out = EnumSet.noneOf(AuditLog.Destination.class);
        for (JsonNode d : bot.get("auditEventDestination")) {
            if (d.asText().equals("resource")) out.add(AuditLog.Destination.RESOURCE);
            if (d.asText().equals("log")) out.add(AuditLog.Destination.LOG);
        }
        return out;
    }

    private static ObjectNode event(Run run, JsonNode bot) {
        var m = FhirJson.mapper();
        ObjectNode event = m.createObjectNode().put("resourceType", "AuditEvent");
        // copies: the Bot's content may be shared by other runs, and the event is changed when it is stored
        JsonNode botMeta = bot.path("meta");
        if (botMeta.has("accounts")) event.putObject("meta").set("accounts", botMeta.get("accounts").deepCopy());
        else if (botMeta.has("account")) event.putObject("meta").set("account", botMeta.get("account").deepCopy());
        event.putObject("type").put("system", TYPE_SYSTEM).put("code", "execute");
        event.putObject("period").put("start", run.start().toString()).put("end", run.end().toString());
        event.put("recorded", run.end().toString());
        event.put("outcome", run.success() ? "0" : "4");
        String log = run.log();
        // FHIR strings are never empty: a run that printed nothing has no outcomeDesc
        if (!log.isEmpty()) {
            event.put("outcomeDesc", log.length() > MAX_LOG_CHARS ? log.substring(log.length() - MAX_LOG_CHARS) : log);
        }
        var agents = event.putArray("agent");
        var requestor = agents.addObject();
        run.requester().ifPresent(r -> requestor.putObject("who").put("reference", r));
        requestor.put("requestor", true);
        String profile = run.runAs().json().path("profile").path("reference").asText("Bot/" + run.bot().id());
        agents.addObject().put("requestor", false).putObject("who").put("reference", profile);
        event.putObject("source").putObject("observer").put("reference", "Bot/" + run.bot().id());
        var entity = event.putArray("entity").addObject();
        entity.putObject("what").put("reference", "Bot/" + run.bot().id());
        entity.putObject("role").put("system", "http://terminology.hl7.org/CodeSystem/object-role")
                .put("code", "4").put("display", "Domain");
        var extensions = event.putArray("extension");
        var tracing = extensions.addObject().put("url", Outcomes.TRACING_URL).putArray("extension");
        tracing.addObject().put("url", "requestId").put("valueId", run.ids().requestId());
        tracing.addObject().put("url", "traceId").put("valueId", run.ids().traceId());
        var details = extensions.addObject().put("url", RUN_EXTENSION).putArray("extension");
        details.addObject().put("url", "durationMs").put("valueDecimal", run.duration().toNanos() / 1_000_000.0);
        if (run.reason() != null) details.addObject().put("url", "failure").put("valueCode", run.reason());
        return event;
    }
}
