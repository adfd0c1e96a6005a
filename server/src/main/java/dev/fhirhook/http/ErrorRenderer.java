package dev.fhirhook.http;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Failures;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.fhir.FhirJson;

/**
 * The one place a failure becomes a response: an {@link ApiException} is rendered as its OperationOutcome,
 * any other failure as {@link Failures} classifies it (a lost database 503, a bug 500 with the request id and
 * no internals, logged in full).
 */
final class ErrorRenderer {
    private final String baseUrl;

    ErrorRenderer(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** The query parameter with which a client asks for a Basic challenge, whatever it sent (medplum-compat §5.1). */
    static final String PROMPT_BASIC = "_medplum-prompt-basic-auth";

    /**
     * @param authorization the request's {@code Authorization} header, or null: a 401 challenges with its scheme
     * @param query the raw query string, or null: with {@link #PROMPT_BASIC} a 401 challenges with Basic
     */
    ApiResponse render(Throwable failure, RequestIds ids, String method, String path, String authorization, String query) {
        ApiException api = Failures.asApiException(failure, "request " + ids.requestId() + " " + method + " " + path);
        var response = ApiResponse.json(api.status(), ApiResponse.FHIR_JSON, FhirJson.bytes(Outcomes.of(api, ids)));
        if (api.status() == 401) {
            boolean bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer", 0, 6);
            String scheme = bearer && !promptsBasic(query) ? "Bearer" : "Basic";
            response.withHeader("WWW-Authenticate", scheme + " realm=\"" + baseUrl + "\"");
        }
        if (api.retryAfterSeconds() > 0) response.withHeader("Retry-After", Long.toString(api.retryAfterSeconds()));
        else if (api.status() == 503) response.withHeader("Retry-After", "5");
        return response;
    }

    private static boolean promptsBasic(String query) {
        if (query == null || !query.contains("prompt-basic-auth")) return false;
        try {
            return QueryString.parse(query).containsKey(PROMPT_BASIC);
        } catch (ApiException e) {
            return false; // a query that does not parse asks for nothing
        }
    }
}
