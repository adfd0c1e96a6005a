package dev.fhirhook.api;

import dev.fhirhook.db.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a failure that is not an {@link ApiException} means to the client: a value PostgreSQL refused is the
 * client's input (400), a statement stopped at its time limit is 504, a lost database 503, and anything else is
 * a bug, answered 500 with no internals and logged at ERROR with its cause. Shared by the error renderer and by
 * whatever answers for parts of a request on its own (the entries of a batch). Thread-safe (stateless).
 */
public final class Failures {
    private static final Logger log = LoggerFactory.getLogger(Failures.class);

    private Failures() {}

    /** @param where what failed, for the log, such as {@code request <id> POST /fhir/R4/Patient} */
    public static ApiException asApiException(Throwable failure, String where) {
        return switch (failure) {
            case ApiException e -> e;
            case DataAccessException e when e.sqlState() != null && e.sqlState().startsWith("22") -> {
                // PostgreSQL refused a value (e.g. a NUL character in a search value): the client's input, not our bug
                log.info("{}: value refused by the database: {}", where, e.sqlState());
                yield ApiException.badRequest("db.invalid-value", "Invalid value in the request");
            }
            case DataAccessException e when e.timedOut() -> {
                log.info("{}: statement cancelled at its time limit", where);
                yield ApiException.tooCostly("db.statement-timeout",
                        "The request took too long and was stopped; narrow the search criteria");
            }
            case DataAccessException e when e.unavailable() -> {
                log.warn("{}: database unavailable: {}", where, e.getMessage());
                yield ApiException.unavailable("db.unavailable", "Service unavailable: the database cannot be reached");
            }
            default -> {
                log.error("{} failed", where, failure);
                yield ApiException.internal();
            }
        };
    }
}
