package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * In-memory counters of this node's webhook traffic since start: requests handed to a bot, each refusal reason,
 * handshakes, and the fate of the refusal AuditEvents (written, dropped because the queue was full, failed).
 * Lock-free; thread-safe.
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
     * n, "failed": n, "queued": n}}}; every reason is listed, zero or not.
     */
    public ObjectNode json(int queued) {
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
        return out;
    }
}
