package dev.fhirhook.http;

import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.RawInput;
import dev.fhirhook.auth.Principal;
import java.util.List;

/**
 * One entry of the route table: a method, a path template such as {@code /fhir/R4/{type}/{id}} and what
 * to run, and optionally a body limit of its own ({@code 0}: the server's; for a raw route, the most it ever
 * reads). Literal segments are compared exactly; {@code {name}} segments capture one segment.
 */
record Route(String method, List<String> segments, Action action, long maxBodyBytes) {

    /** What a route runs; open and raw routes need no credentials. */
    sealed interface Action {}

    @FunctionalInterface
    non-sealed interface Open extends Action {
        ApiResponse handle(ApiRequest request);
    }

    /**
     * An open route that reads the body itself ({@link RawInput}), after its own checks and under its own size
     * limit; the request it gets has an empty body. For public webhooks, which must refuse cheaply.
     */
    @FunctionalInterface
    non-sealed interface Raw extends Action {
        ApiResponse handle(ApiRequest head, RawInput input);
    }

    @FunctionalInterface
    non-sealed interface Authenticated extends Action {
        ApiResponse handle(ApiRequest request, Principal principal);
    }

    static Route of(String method, String template, Action action) {
        return new Route(method, Router.split(template), action, 0);
    }

    /** This route with its own body limit instead of the server's (bot code is larger than a resource). */
    Route withBodyLimit(long bytes) {
        return new Route(method, segments, action, bytes);
    }
}
