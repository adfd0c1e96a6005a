package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.audit.AuditLog;
import dev.fhirhook.bot.runtime.BotRuntime;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * In-memory counters of this node's webhook traffic since start: requests handed to a bot, each refusal reason,
 * handshakes, and the fate of the refusal AuditEvents (written, dropped because the queue was full, failed);
 * beside them, how the bot runs' own AuditEvents were committed. Lock-free; thread-safe.
 */
public final class WebhookMetrics {
    private final LongAdder accepted = new LongAdder();
    private final Map<Reason, LongAdder> byReason = new EnumMap<>(Reason.class);
    private final LongAdder auditWritten = new LongAdder();
    private final LongAdder auditDropped = new LongAdder();
    private final LongAdder auditFailed = new LongAdder();

    public WebhookMetrics() {
        for (var reason : Reason.values()) byReason.put(reason, new LongAdder());
    }

    void accepted() { accepted.increment(); }

    void count(Reason reason) { byReason.get(reason).increment(); }

    void auditWritten(int n) { auditWritten.add(n); }

    void auditDropped() { auditDropped.increment(); }

    void auditFailed(int n) { auditFailed.add(n); }

    public long count(String reasonCode) {
        for (var reason : Reason.values()) if (reason.code().equals(reasonCode)) return byReason.get(reason).sum();
        throw new IllegalArgumentException("unknown reason " + reasonCode);
    }

    /**
     * {@code {"accepted": n, "handshakes": n, "refused": {"<reason>": n, ...}, "audit": {"written": n, "dropped":
     * n, "failed": n, "queued": n}, "runAudit": {"alone": n, "batches": n, "batchedEvents": n}, "botRuns":
     * {"inPlace": n, "handedOff": n}}; every reason is listed, zero or not. {@code runAudit} counts every bot run's
     * AuditEvent on this node, webhook or {@code $execute}: those committed alone by their run, the writer's shared
     * commits, and the events in them. {@code botRuns} counts the same runs by where they ran: on the request's own
     * thread, or handed to a run thread (a body that came slowly, a nested run).
     */
    public ObjectNode json(int queued, AuditLog.Commits runAudits, BotRuntime.Placements placements) {
        var out = JsonNodeFactory.instance.objectNode();
        out.put("accepted", accepted.sum());
        out.put("handshakes", byReason.get(Reason.HANDSHAKE).sum());
        var refused = out.putObject("refused");
        byReason.forEach((reason, n) -> {
            if (reason != Reason.HANDSHAKE) refused.put(reason.code(), n.sum());
        });
        var audit = out.putObject("audit");
        audit.put("written", auditWritten.sum());
        audit.put("dropped", auditDropped.sum());
        audit.put("failed", auditFailed.sum());
        audit.put("queued", queued);
        var runs = out.putObject("runAudit");
        runs.put("alone", runAudits.alone());
        runs.put("batches", runAudits.batches());
        runs.put("batchedEvents", runAudits.batchedEvents());
        var placed = out.putObject("botRuns");
        placed.put("inPlace", placements.inPlace());
        placed.put("handedOff", placements.handedOff());
        return out;
    }
}
