package dev.fhirhook.api;

/**
 * The one exception that aborts a request with a known HTTP status. It carries a stable machine code
 * (such as {@code fhir.not-found}) and the text a client sees; the HTTP layer renders it as an
 * OperationOutcome. Expected outcomes that are not request failures should be values, not this.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String outcomeId;
    private final String issueCode;
    private final String expression;
    private final long retryAfterSeconds;

    private ApiException(int status, String code, String outcomeId, String issueCode, String text, String expression) {
        this(status, code, outcomeId, issueCode, text, expression, 0);
    }

    private ApiException(int status, String code, String outcomeId, String issueCode, String text, String expression,
            long retryAfterSeconds) {
        super(text, null, false, false);
        this.status = status;
        this.code = code;
        this.outcomeId = outcomeId;
        this.issueCode = issueCode;
        this.expression = expression;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() { return status; }
    /** Stable machine code, such as {@code fhir.invalid-id}; never contains user input. */
    public String code() { return code; }
    /** The OperationOutcome id that maps to the status in Medplum's convention, or null for a plain 400. */
    public String outcomeId() { return outcomeId; }
    /** The FHIR issue-type code, such as {@code invalid} or {@code not-found}. */
    public String issueCode() { return issueCode; }
    public String text() { return getMessage(); }
    /** The element or parameter at fault, or null. */
    public String expression() { return expression; }

    /** Seconds the client should wait before trying again ({@code Retry-After}), or 0 for no header. */
    public long retryAfterSeconds() { return retryAfterSeconds; }

    /** A copy naming the element or parameter at fault. */
    public ApiException at(String expression) {
        return new ApiException(status, code, outcomeId, issueCode, getMessage(), expression, retryAfterSeconds);
    }

    /** A copy that tells the client when to retry (sent as {@code Retry-After}, at least 1 second). */
    public ApiException retryAfter(long seconds) {
        return new ApiException(status, code, outcomeId, issueCode, getMessage(), expression, Math.max(1, seconds));
    }

    public static ApiException badRequest(String code, String text) {
        return new ApiException(400, code, null, "invalid", text, null);
    }
    public static ApiException unauthorized(String code) {
        return new ApiException(401, code, "unauthorized", "login", "Unauthorized", null);
    }
    public static ApiException forbidden(String code, String text) {
        return new ApiException(403, code, "forbidden", "forbidden", text, null);
    }
    public static ApiException notFound() {
        return new ApiException(404, "fhir.not-found", "not-found", "not-found", "Not found", null);
    }
    public static ApiException notFound(String code, String text) {
        return new ApiException(404, code, "not-found", "not-found", text, null);
    }
    public static ApiException methodNotAllowed(String text) {
        return new ApiException(405, "http.method-not-allowed", "method-not-allowed", "not-supported", text, null);
    }
    public static ApiException conflict(String code, String text) {
        return new ApiException(409, code, "conflict", "conflict", text, null);
    }
    public static ApiException gone() {
        return new ApiException(410, "fhir.gone", "gone", "deleted", "Gone", null);
    }
    public static ApiException preconditionFailed(String code, String text) {
        return new ApiException(412, code, "precondition-failed", "conflict", text, null);
    }
    public static ApiException multipleMatches() {
        return new ApiException(412, "fhir.multiple-matches", "multiple-matches", "multiple-matches",
                "Multiple resources found matching condition", null);
    }
    public static ApiException tooLarge(String text) {
        return new ApiException(413, "http.content-too-large", "content-too-large", "too-long", text, null);
    }
    /** The request's body did not arrive whole within the server's {@code body-read-timeout}. */
    public static ApiException bodyTimeout() {
        return new ApiException(408, "http.body-timeout", "request-timeout", "timeout",
                "Request body not received in time", null);
    }
    public static ApiException unsupportedMediaType() {
        return new ApiException(415, "http.unsupported-media-type", "unsupported-media-type", "not-supported",
                "Unsupported media type", null);
    }
    public static ApiException tooManyRequests() {
        return tooManyRequests("http.too-many-requests");
    }
    public static ApiException tooManyRequests(String code) {
        return new ApiException(429, code, "too-many-requests", "throttled", "Too Many Requests", null);
    }
    public static ApiException unavailable(String code, String text) {
        return new ApiException(503, code, "unavailable", "transient", text, null);
    }
    public static ApiException httpVersionNotSupported() {
        return new ApiException(505, "http.version-not-supported", "http-version-not-supported", "not-supported",
                "HTTP version not supported", null);
    }
    /** The work was stopped to protect the server (a search over its time limit). */
    public static ApiException tooCostly(String code, String text) {
        return new ApiException(504, code, "server-timeout", "too-costly", text, null);
    }
    public static ApiException internal() {
        return new ApiException(500, "server.internal", "server-error", "exception", "Internal server error", null);
    }
}
