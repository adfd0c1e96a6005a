package dev.fhirhook.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiRequest;
import java.time.Clock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The security audit trail: every failed authentication and every refused (403) request becomes one JSON line on
 * the {@value #LOGGER} logger, so operators can route it apart from the application log and alert on it. A line
 * carries the time, the event, the reason (and for tokens which check failed), the client id when it is known and
 * well-formed, the client address, the request and trace ids, the method and the path (never the query). It
 * never carries a secret, a token or an {@code Authorization} header: callers pass reasons, not credentials.
 * Thread-safe.
 */
public final class SecurityAudit {
    public static final String LOGGER = "fhirhook.audit";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A FHIR id; anything else in a claimed client id is an attacker's text and is left out of the line. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final int MAX_TEXT = 200;

    /** Why a request was refused. */
    public enum Reason {
        MISSING_CREDENTIALS("missing-credentials"),
        MALFORMED_CREDENTIALS("malformed-credentials"),
        INVALID_CLIENT("invalid-client"),
        INVALID_SECRET("invalid-secret"),
        INACTIVE("inactive"),
        IP_BLOCKED("ip-blocked"),
        BAD_TOKEN("bad-token"),
        FORBIDDEN("forbidden");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private final Clock clock;

    public SecurityAudit(Clock clock) {
        this.clock = clock;
    }

    /**
     * Credentials that did not authenticate the request.
     *
     * @param check for {@link Reason#BAD_TOKEN} and {@link Reason#INACTIVE}, which check failed (such as
     *     {@code expired} or {@code signature}); otherwise null
     * @param clientId the client the request claimed to be, or null
     */
    public void authenticationFailed(ApiRequest request, Reason reason, String check, String clientId) {
        var line = line("authentication-failed", request, reason);
        if (check != null) line.put("check", clip(check));
        putClient(line, clientId);
        log.info(text(line));
    }

    /**
     * An authenticated request refused with 403.
     *
     * @param principal who asked, as a reference such as {@code ClientApplication/123}
     * @param code the stable error code of the refusal, such as {@code auth.project-admin-only}
     */
    public void denied(ApiRequest request, String principal, String clientId, String code) {
        var line = line("access-denied", request, Reason.FORBIDDEN);
        line.put("code", clip(code));
        if (principal != null) line.put("principal", clip(principal));
        putClient(line, clientId);
        log.info(text(line));
    }

    private ObjectNode line(String event, ApiRequest request, Reason reason) {
        var line = JSON.createObjectNode();
        line.put("time", clock.instant().toString());
        line.put("event", event);
        line.put("reason", reason.text());
        if (request.clientIp() != null) line.put("clientIp", request.clientIp());
        line.put("requestId", request.ids().requestId());
        line.put("traceId", request.ids().traceId());
        line.put("method", request.method());
        line.put("path", clip(request.path()));
        return line;
    }

    private static void putClient(ObjectNode line, String clientId) {
        if (clientId != null && ID.matcher(clientId).matches()) line.put("clientId", clientId);
    }

    private static String clip(String text) {
        return text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) : text;
    }

    private static String text(ObjectNode line) {
        try {
            return JSON.writeValueAsString(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
