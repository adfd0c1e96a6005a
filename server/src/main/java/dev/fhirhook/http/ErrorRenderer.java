package dev.fhirhook.http;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.db.DataAccessException;
import dev.fhirhook.fhir.FhirJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a failure becomes a response: an {@link ApiException} is rendered as its OperationOutcome,
 * a lost database as 503, anything else as 500 with the request id and no internals (logged in full).
 */
final class ErrorRenderer {
    private static final Logger log = LoggerFactory.getLogger(ErrorRenderer.class);

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
        ApiException api = switch (failure) {
            case ApiException e -> e;
            case DataAccessException e when e.sqlState() != null && e.sqlState().startsWith("22") -> {
                // PostgreSQL refused a value (e.g. a NUL character in a search value): the client's input, not our bug
                log.info("request {} {} {}: value refused by the database: {}", ids.requestId(), method, path, e.sqlState());
                yield ApiException.badRequest("db.invalid-value", "Invalid value in the request");
            }
            case DataAccessException e when e.timedOut() -> {
                log.info("request {} {} {}: statement cancelled at its time limit", ids.requestId(), method, path);
                yield ApiException.tooCostly("db.statement-timeout",
                        "The request took too long and was stopped; narrow the search criteria");
            }
            case DataAccessException e when e.unavailable() -> {
                log.warn("request {} {} {}: database unavailable: {}", ids.requestId(), method, path, e.getMessage());
                yield ApiException.unavailable("db.unavailable", "Service unavailable: the database cannot be reached");
            }
            default -> {
                log.error("request {} {} {} failed", ids.requestId(), method, path, failure);
                yield ApiException.internal();
            }
        };
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
