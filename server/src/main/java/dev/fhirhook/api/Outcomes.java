package dev.fhirhook.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds OperationOutcome resources in Medplum's convention: the {@code id} carries the outcome kind
 * (and so the HTTP status), {@code issue[0].details.text} the human text, and a tracing extension ties
 * the outcome to the request. Thread-safe (stateless).
 */
public final class Outcomes {
    public static final String TRACING_URL = "https://medplum.com/fhir/StructureDefinition/tracing";
    public static final String ERROR_CODE_SYSTEM = "https://fhirhook.dev/CodeSystem/error";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Outcomes() {}

    public static ObjectNode of(ApiException e, RequestIds ids) {
        var outcome = base(e.outcomeId(), "error", e.issueCode(), e.text(), ids);
        var issue = (ObjectNode) outcome.withArray("issue").get(0);
        ((ObjectNode) issue.get("details")).putArray("coding").addObject()
                .put("system", ERROR_CODE_SYSTEM).put("code", e.code());
        if (e.expression() != null) issue.putArray("expression").add(e.expression());
        return outcome;
    }

    public static ObjectNode allOk(RequestIds ids) {
        return base("ok", "information", "informational", "All OK", ids);
    }

    public static ObjectNode created(RequestIds ids) {
        return base("created", "information", "informational", "Created", ids);
    }

    private static ObjectNode base(String id, String severity, String code, String text, RequestIds ids) {
        var outcome = NODES.objectNode();
        outcome.put("resourceType", "OperationOutcome");
        if (id != null) outcome.put("id", id);
        var issue = outcome.putArray("issue").addObject();
        issue.put("severity", severity).put("code", code);
        issue.putObject("details").put("text", text);
        if (ids != null) {
            var tracing = outcome.putArray("extension").addObject();
            tracing.put("url", TRACING_URL);
            var ext = tracing.putArray("extension");
            ext.addObject().put("url", "requestId").put("valueId", ids.requestId());
            ext.addObject().put("url", "traceId").put("valueId", ids.traceId());
        }
        return outcome;
    }
}
