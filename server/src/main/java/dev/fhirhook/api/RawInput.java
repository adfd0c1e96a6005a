package dev.fhirhook.api;

/**
 * What a route that reads its own body gets besides the request head: the query exactly as received and the
 * body, read only when the route asks and under the limit it chooses. Routes that must refuse cheaply (public
 * webhooks) decide first and read the body last. Not thread-safe: one request, one thread.
 */
public interface RawInput {
    /** The query string as received, without {@code ?}; empty when there is none. Never decoded. */
    String rawQuery();

    /**
     * Reads the whole body, at most once.
     *
     * @param maxBytes the largest body accepted
     * @throws ApiException 413 when the body (declared or actual) is larger, 400 when it ends early
     */
    byte[] body(long maxBytes);
}
