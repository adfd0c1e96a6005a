package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.audit.AuditLog;
import dev.fhirhook.audit.BatchWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audits every webhook request that did not reach its bot (refusals, outcome 4) and every handshake the server
 * answered (outcome 0), as AuditEvents of type {@code webhook} with the reason as subtype. An event is stored in
 * the target's project when that is known; for an unknown target it is only a JSON log line.
 *
 * <p>Refusing must stay cheap, also under a flood of forged requests, so the request thread only counts the
 * reason and offers a small record to a bounded queue; one writer thread turns them into AuditEvents and stores
 * them in batches (one commit per batch). When the queue is full the event is dropped and counted
 * ({@code audit.dropped} in the metrics), never waited for. Nothing of the request is kept but its method, client
 * address, body size and SHA-256, and our own fixed detail text: no headers, no body, no secret. Thread-safe.
 */
final class WebhookAudit implements AutoCloseable {
    static final String CODE_SYSTEM = "https://fhirhook.dev/CodeSystem/audit-event";
    static final int DEFAULT_CAPACITY = 10_000;
    static final int BATCH = 500;
    private static final Logger log = LoggerFactory.getLogger("fhirhook.audit");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * What the request looked like, as far as the chain got.
     *
     * @param bodySize bytes read, or -1 when the body was not read
     * @param bodySha256 lowercase hex SHA-256 of the body, when it was read
     */
    record Request(String method, String clientIp, RequestIds ids, long bodySize, Optional<String> bodySha256) {}

    private record Entry(Reason reason, String detail, Optional<String> projectId, Optional<String> membershipId,
            Optional<String> botId, Request request, Instant at) {}

    private final AuditLog auditLog;
    private final Clock clock;
    private final WebhookMetrics metrics;
    private final BatchWriter<Entry> writer;

    WebhookAudit(AuditLog auditLog, Clock clock, WebhookMetrics metrics, int capacity) {
        this.auditLog = auditLog;
        this.clock = clock;
        this.metrics = metrics;
        this.writer = new BatchWriter<>("webhook-audit", capacity, BATCH, Duration.ofSeconds(5), this::write,
                (batch, e) -> {
                    metrics.auditFailed(batch.size());
                    log.warn("could not write {} webhook AuditEvents: {}", batch.size(), e.toString());
                });
    }

    void refused(Refusal refusal, Request request) {
        record(refusal.reason(), refusal.detail(), refusal.projectId(), refusal.membershipId(), refusal.botId(), request);
    }

    void handshake(String detail, Target target, Request request) {
        record(Reason.HANDSHAKE, detail, Optional.of(target.projectId()), Optional.of(target.membership().id()),
                Optional.of(target.bot().id()), request);
    }

    int queued() {
        return writer.queued();
    }

    private void record(Reason reason, String detail, Optional<String> projectId, Optional<String> membershipId,
            Optional<String> botId, Request request) {
        metrics.count(reason);
        if (!writer.offer(new Entry(reason, detail, projectId, membershipId, botId, request, clock.instant()))) {
            metrics.auditDropped();
        }
    }

    private void write(List<Entry> entries) {
        var stored = new ArrayList<AuditLog.Stored>(entries.size());
        for (var entry : entries) {
            var event = event(entry);
            if (entry.projectId().isPresent()) stored.add(new AuditLog.Stored(entry.projectId().get(), event));
            else log.info("{}", event);
        }
        int failed = auditLog.storeAll(stored);
        metrics.auditFailed(failed);
        metrics.auditWritten(entries.size() - failed);
    }

    private static ObjectNode event(Entry e) {
        var event = NODES.objectNode();
        event.put("resourceType", "AuditEvent");
        event.putObject("type").put("system", CODE_SYSTEM).put("code", "webhook").put("display", "Webhook");
        event.putArray("subtype").addObject().put("system", CODE_SYSTEM).put("code", e.reason().code());
        event.put("action", "E");
        event.putObject("period").put("start", e.at().truncatedTo(ChronoUnit.MILLIS).toString())
                .put("end", e.at().truncatedTo(ChronoUnit.MILLIS).toString());
        event.put("recorded", e.at().truncatedTo(ChronoUnit.MILLIS).toString());
        event.put("outcome", e.reason() == Reason.HANDSHAKE ? "0" : "4");
        event.put("outcomeDesc", e.detail());
        var agents = event.putArray("agent");
        var caller = agents.addObject();
        caller.putObject("who").put("display", "webhook caller");
        caller.put("requestor", true);
        if (e.request().clientIp() != null) {
            caller.putObject("network").put("address", e.request().clientIp()).put("type", "2");
        }
        e.botId().ifPresent(bot -> agents.addObject().put("requestor", false).putObject("who")
                .put("reference", "Bot/" + bot));
        var source = event.putObject("source");
        e.botId().ifPresentOrElse(bot -> source.putObject("observer").put("reference", "Bot/" + bot),
                () -> source.putObject("observer").put("display", "fhirhook webhook endpoint"));
        var entities = event.putArray("entity");
        e.membershipId().ifPresent(pm -> entities.addObject().putObject("what")
                .put("reference", "ProjectMembership/" + pm));
        var request = entities.addObject();
        request.put("name", "request");
        var details = request.putArray("detail");
        details.addObject().put("type", "method").put("valueString", e.request().method());
        if (e.request().bodySize() >= 0) {
            details.addObject().put("type", "bodySize").put("valueString", Long.toString(e.request().bodySize()));
        }
        e.request().bodySha256().ifPresent(hash -> details.addObject().put("type", "bodySha256").put("valueString", hash));
        var tracing = event.putArray("extension").addObject();
        tracing.put("url", Outcomes.TRACING_URL);
        var ids = tracing.putArray("extension");
        ids.addObject().put("url", "requestId").put("valueId", e.request().ids().requestId());
        ids.addObject().put("url", "traceId").put("valueId", e.request().ids().traceId());
        return event;
    }

    /** Stops taking events and writes what is queued. */
    @Override
    public void close() {
        writer.close();
    }
}
