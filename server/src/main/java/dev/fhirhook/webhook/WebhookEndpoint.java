package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.RawInput;
import dev.fhirhook.audit.AuditLog;
import dev.fhirhook.bot.BotExecutor;
import dev.fhirhook.bot.Secrets;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.WriteCheck;
import dev.fhirhook.policy.IpRules;
import dev.fhirhook.policy.MembershipPolicies;
import dev.fhirhook.webhook.signature.SignatureScheme;
import dev.fhirhook.webhook.signature.SignedRequest;
import dev.fhirhook.webhook.signature.Verification;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The public webhook endpoint, {@code GET|POST /webhook/{ProjectMembership.id}} (medplum-compat §4): the ingest
 * chain from the URL to the bot, cheapest step first, so that refusing costs as little as possible:
 * <ol>
 *   <li>resolve the target (§4.2 checks in order; cached) and, on {@code /projects/{projectId}/webhook/{id}}, its
 *       project;</li>
 *   <li>the Bot's {@code allowedIps} and the membership's {@code ipAccessRule}s;</li>
 *   <li>the bot's token bucket (429 with {@code Retry-After});</li>
 *   <li>the body, read only now, under the bot's limit (413) and the server's {@code body-read-timeout} (408);</li>
 *   <li>unsigned handshakes (Microsoft Graph), then the signature over the exact bytes (401) — nothing is parsed
 *       before it — then signed handshakes (Okta, Slack, Zoom, Twitch);</li>
 *   <li>the bot's concurrency cap (429 with {@code Retry-After}), which so counts verified runs only;</li>
 *   <li>the bot, as the membership, through {@link BotExecutor}.</li>
 * </ol>
 * Every request that does not reach the bot is counted and audited ({@link WebhookAudit}). Thread-safe.
 */
public final class WebhookEndpoint implements AutoCloseable {

    /** What the endpoint is built from. */
    public record Parts(ResourceStore store, MembershipPolicies policies, Secrets secrets, AuditLog auditLog,
            BotExecutor executor) {}

    private final WebhookTargets targets;
    private final BotLimits limits;
    private final WebhookAudit audit;
    private final WebhookMetrics metrics = new WebhookMetrics();
    private final AuditLog runAudits;
    private final BotExecutor executor;
    private final Clock clock;
    private final long serverMaxBodyBytes;

    /** @param serverMaxBodyBytes the largest body a Bot may allow itself ({@code webhook-max-body-size}) */
    public WebhookEndpoint(Parts parts, Clock clock, long serverMaxBodyBytes) {
        this.targets = new WebhookTargets(parts.store(), parts.policies(), parts.secrets(), clock, serverMaxBodyBytes);
        this.limits = new BotLimits(clock);
        this.audit = new WebhookAudit(parts.auditLog(), clock, metrics, WebhookAudit.DEFAULT_CAPACITY);
        this.runAudits = parts.auditLog();
        this.executor = parts.executor();
        this.clock = clock;
        this.serverMaxBodyBytes = serverMaxBodyBytes;
    }

    /** The largest body any Bot may accept ({@code webhook-max-body-size}): the most a webhook request reads. */
    public long serverMaxBodyBytes() {
        return serverMaxBodyBytes;
    }

    /** The check of a Bot's {@code webhook} element on every write (400 naming the element at fault). */
    public static WriteCheck botCheck(long serverMaxBodyBytes) {
        return (type, resource) -> {
            if (type.equals("Bot")) WebhookSettings.parse(resource.get("webhook"), serverMaxBodyBytes);
        };
    }

    /** This node's counters, for {@code GET /admin/webhook-metrics}. */
    public ObjectNode metrics() {
        return metrics.json(audit.queued(), runAudits.commits(), executor.placements());
    }

    /**
     * Handles one request to {@code /webhook/{id}}, {@code /api/webhook/{id}} or (with a {@code projectId} path
     * parameter) {@code /projects/{projectId}/webhook/{id}}.
     *
     * @param head the request with an empty body
     * @param input the raw query and the body, read only once the request got that far
     */
    public ApiResponse handle(ApiRequest head, RawInput input) {
        var seen = new Seen(head);
        var resolution = targets.resolve(head.pathParam("id"));
        var target = switch (resolution) {
            case Resolution.Refused refused -> throw refuse(refused.refusal(), seen);
            case Resolution.Found found -> found.target();
        };
        String projectInPath = head.pathParams().get("projectId");
        if (projectInPath != null && !projectInPath.equals(target.projectId())) {
            throw refuse(Refusal.of(Reason.UNKNOWN_TARGET, ApiException.notFound("webhook.unknown-target", "Not found"),
                    "the URL names another project", target), seen);
        }
        var settings = target.settings();
        if (!settings.allowedIps().isEmpty()
                && !(settings.allowedIps().decide(head.clientIp()) instanceof IpRules.Decision.Allowed)) {
            throw refuse(Refusal.of(Reason.IP_BLOCKED, ipNotAllowed(), "the address is not in the Bot's allowedIps",
                    target), seen);
        }
        if (target.policyIpRules().decide(head.clientIp()) instanceof IpRules.Decision.Blocked) {
            throw refuse(Refusal.of(Reason.IP_BLOCKED, ipNotAllowed(),
                    "the address is blocked by the membership's ipAccessRule", target), seen);
        }
        var wait = limits.consume(target.bot().id(), settings.rateLimit());
        if (wait.isPresent()) {
            throw refuse(Refusal.of(Reason.RATE_LIMITED, ApiException.tooManyRequests("webhook.rate-limited")
                    .retryAfter(wait.getAsLong()), "the Bot's rateLimit is exhausted", target), seen);
        }
        return admitted(head, input, target, seen);
    }

    private ApiResponse admitted(ApiRequest head, RawInput input, Target target, Seen seen) {
        var settings = target.settings();
        byte[] body = body(input, target, seen);
        seen.body = body;
        var request = head.withBody(body);
        var unsigned = Handshakes.unsigned(request, settings);
        if (unsigned.isPresent()) return answer(unsigned.get(), target, seen);
        if (!settings.verify().isEmpty()) {
            var verified = verify(request, input.rawQuery(), target, seen);
            var signed = Handshakes.signed(request, body, verified.scheme(), verified.secret());
            if (signed.isPresent()) return answer(signed.get(), target, seen);
        }
        // The cap counts runs, taken only now: a client still sending its body, or a forged request, holds no slot
        // that a verified delivery could have used.
        var permit = limits.enter(target.bot().id(), settings.maxConcurrency());
        if (permit.isEmpty()) {
            throw refuse(Refusal.of(Reason.RATE_LIMITED, ApiException.tooManyRequests("webhook.concurrency-limited")
                    .retryAfter(BotLimits.BUSY_RETRY_AFTER_SECONDS), "the Bot's maxConcurrency is reached", target), seen);
        }
        try (var held = permit.get()) {
            return run(request, target, seen);
        }
    }

    private byte[] body(RawInput input, Target target, Seen seen) {
        try {
            return input.body(target.settings().maxBodyBytes());
        } catch (ApiException e) {
            String detail = switch (e.status()) {
                case 413 -> "the body is over the Bot's maxBodyBytes";
                case 408 -> "the body did not arrive whole within the server's body-read-timeout";
                default -> "the body ended early or its framing is broken";
            };
            throw refuse(Refusal.of(e.status() == 413 ? Reason.PAYLOAD_TOO_LARGE : Reason.UNPARSABLE_BODY, e, detail,
                    target), seen);
        }
    }

    /**
     * Hands the verified request to the bot. The runner parses the body only now; what it refuses before any code
     * runs (a body that does not parse as its type, a charset it cannot read) or because the bot is saturated is
     * audited here too, with its reason.
     */
    private ApiResponse run(ApiRequest request, Target target, Seen seen) {
        ApiResponse response;
        try {
            response = executor.execute(new BotExecutor.Execution(target.bot(), target.botJson(), target.membership(),
                    Optional.empty(), request, BotExecutor.Origin.WEBHOOK));
        } catch (ApiException e) {
            if (e.status() == 415) {
                throw refuse(Refusal.of(Reason.UNSUPPORTED_MEDIA_TYPE, e, "the body's media type or charset cannot be read",
                        target), seen);
            }
            if (e.code().equals("bot.unparsable-body")) {
                throw refuse(Refusal.of(Reason.UNPARSABLE_BODY, e, "the body does not parse as its media type", target),
                        seen);
            }
            metrics.accepted(); // the bot ran and failed: its own AuditEvent says why
            throw e;
        }
        if (response.status() == 429) {
            audit.refused(Refusal.of(Reason.RATE_LIMITED, ApiException.tooManyRequests(),
                    "the bot runner's cap of runs per bot is reached", target), seen.forAudit());
        } else if (response.status() == 503) { // no bot reply maps to 503: only the runner's node-wide cap answers it
            audit.refused(Refusal.of(Reason.RATE_LIMITED, ApiException.unavailable("bot.saturated", "Too many bots are running"),
                    "the bot runner's cap of runs on this node is reached", target), seen.forAudit());
        } else {
            metrics.accepted();
        }
        return response;
    }

    /** The scheme that verified the request and the secret it verified with. */
    private record Match(SignatureScheme scheme, String secret) {}

    private Match verify(ApiRequest request, String rawQuery, Target target, Seen seen) {
        if (target.checks().isEmpty()) {
            throw refuse(Refusal.of(Reason.SIGNATURE_MISMATCH, unauthorized(Reason.SIGNATURE_MISMATCH),
                    "no configured secret is set in the project: " + String.join(", ", target.missingSecrets()), target),
                    seen);
        }
        String url = target.settings().publicUrl().orElse(request.baseUrl() + request.path().substring(1))
                + (rawQuery.isEmpty() ? "" : "?" + rawQuery);
        var signed = new SignedRequest(request.method(), url, request.headers(), request.body());
        Verification.Rejected first = null;
        for (var check : target.checks()) {
            switch (check.scheme().verify(signed, check.secrets(), clock)) {
                case Verification.Verified verified -> {
                    return new Match(check.scheme(), check.secrets().get(verified.secretIndex()));
                }
                case Verification.Rejected rejected -> {
                    if (first == null) first = rejected;
                }
            }
        }
        var reason = Reason.of(first.reason());
        String detail = first.detail() + (target.missingSecrets().isEmpty() ? ""
                : "; not set in the project: " + String.join(", ", target.missingSecrets()));
        throw refuse(Refusal.of(reason, unauthorized(reason), detail, target), seen);
    }

    private ApiResponse answer(Handshakes.Answer answer, Target target, Seen seen) {
        audit.handshake(answer.detail(), target, seen.forAudit());
        return answer.response();
    }

    private ApiException refuse(Refusal refusal, Seen seen) {
        audit.refused(refusal, seen.forAudit());
        return refusal.error();
    }

    private static ApiException unauthorized(Reason reason) {
        return ApiException.unauthorized("webhook." + reason.code());
    }

    private static ApiException ipNotAllowed() {
        return ApiException.forbidden("webhook.ip-blocked", "IP address not allowed");
    }

    /** What the chain has seen of a request, for its AuditEvent; the body hash is computed only when audited. */
    private static final class Seen {
        private final ApiRequest head;
        private byte[] body;

        Seen(ApiRequest head) {
            this.head = head;
        }

        WebhookAudit.Request forAudit() {
            return new WebhookAudit.Request(head.method(), head.clientIp(), head.ids(), body == null ? -1 : body.length,
                    Optional.ofNullable(body).map(Seen::sha256));
        }

        private static String sha256(byte[] bytes) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Writes what is queued for the audit trail; call before the database closes. */
    @Override
    public void close() {
        audit.close();
    }
}
