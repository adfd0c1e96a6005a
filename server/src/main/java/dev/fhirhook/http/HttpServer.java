package dev.fhirhook.http;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.api.RawInput;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.audit.SecurityAudit;
import dev.fhirhook.auth.Authenticator;
import dev.fhirhook.fhir.FhirJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The Jetty adapter: the only class that sees Jetty's request and response. It turns each request into an
 * {@link ApiRequest} (ids, client address, query, the body bounded by the size limit), authenticates when
 * the route needs it, runs the route and writes the response with the standard headers.
 *
 * <p>A request runs on a pooled platform thread (made by the thread factory given, with the stack a bot run needs)
 * when it has no body or its whole body came with it, so that a webhook's bot runs right there (see
 * {@code BotRuntime.callerThreads}). A request whose body is still on its way, and an early answer that must drain
 * an unread body, run on a virtual thread instead: a slow client holds no pooled thread ({@link ArrivedBody}).
 */
public final class HttpServer implements AutoCloseable {
    /**
     * Settings of the HTTP layer.
     *
     * @param baseUrl the public base URL; when empty, {@code http://localhost:<bound port>/}
     * @param shutdownGrace how long {@link #close()} lets requests in flight finish; new connections are refused
     * @param bodyReadTimeout how long a request's whole body may take to arrive, from the moment it is first read;
     *                        a later one is answered 408 and its connection closed
     */
    public record Settings(String host, int port, java.util.Optional<String> baseUrl, long maxBodyBytes,
            List<String> trustedProxies, java.time.Duration shutdownGrace, java.time.Duration bodyReadTimeout) {}

    /**
     * How much of an unread body is read and discarded after an early answer (see Dispatch.answerThenDrain), at
     * least: the bound is the largest body any route may read, when that is more.
     */
    static final long DRAIN_BYTES = 4L * 1024 * 1024;
    static final long DRAIN_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
    /**
     * Pooled request threads at most. A request holds one while it runs, never while it waits for its client, so
     * this bounds work in progress (bot runs have caps of their own), not connections.
     */
    static final int MAX_REQUEST_THREADS = 200;

    private final Server server;
    private final ServerConnector connector;
    private final String baseUrl;

    /**
     * @param requestThreads makes the pooled platform threads that serve requests whose bodies have arrived
     */
    public HttpServer(Settings settings, List<Route> routes, Authenticator authenticator, RequestLimiter limiter,
            SecurityAudit audit, ThreadFactory requestThreads) {
        var threads = new QueuedThreadPool(MAX_REQUEST_THREADS, 8, 60_000, -1, null, null, requestThreads);
        threads.setName("http");
        server = new Server(threads);
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setSendDateHeader(true);
        http.setRequestHeaderSize(16 * 1024);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        try {
            connector.open(); // bind now, so that the base URL can name the real port
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + e.getMessage(), e);
        }
        baseUrl = settings.baseUrl().orElse("http://localhost:" + connector.getLocalPort() + "/");
        var dispatch = new Dispatch(settings, baseUrl, new Router(routes), drainBytes(settings, routes), authenticator,
                limiter, audit);
        // Jetty's own default stop cuts the requests in flight: a webhook whose bot had written its Invoice would
        // see its connection closed, and the provider would send it again. Stopping now refuses new connections,
        // closes idle ones, answers 503 to a request it is still reading, and waits up to the grace for the rest.
        var graceful = new GracefulHandler(dispatch);
        server.setHandler(graceful);
        server.setStopTimeout(settings.shutdownGrace().toMillis());
        server.setErrorHandler(new OutcomeErrorHandler(baseUrl));
    }

    public String baseUrl() {
        return baseUrl;
    }

    public void start() throws Exception {
        server.start();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** The largest body a request to this server may carry: any longer one is not worth reading to the end. */
    static long drainBytes(Settings settings, List<Route> routes) {
        long largest = Math.max(DRAIN_BYTES, settings.maxBodyBytes());
        for (Route route : routes) largest = Math.max(largest, route.maxBodyBytes());
        return largest;
    }

    private static final class Dispatch extends Handler.Abstract {
        private static final String BODY_READ = "fhirhook.body-read";
        private static final String BODY_OPENED = "fhirhook.body-opened";

        private final Settings settings;
        private final String baseUrl;
        private final Router router;
        private final long drainBytes;
        private final Authenticator authenticator;
        private final RequestLimiter limiter;
        private final ErrorRenderer errors;
        private final RequestIdentity identity;
        private final SecurityAudit audit;
        /** Where a request goes on that may wait for its client: its body, or the drain after an early answer. */
        private final Executor waiting =
                Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-body-", 0).factory());

        Dispatch(Settings settings, String baseUrl, Router router, long drainBytes, Authenticator authenticator,
                RequestLimiter limiter, SecurityAudit audit) {
            this.audit = audit;
            this.settings = settings;
            this.baseUrl = baseUrl;
            this.router = router;
            this.drainBytes = drainBytes;
            this.authenticator = authenticator;
            this.limiter = limiter;
            this.errors = new ErrorRenderer(baseUrl);
            this.identity = new RequestIdentity(settings.trustedProxies());
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            var headers = headers(request);
            RequestIds ids = identity.ids(headers);
            String method = request.getMethod();
            String path = Request.getPathInContext(request);
            String clientIp = identity.clientIp(Request.getRemoteAddr(request), headers);
            // first, before routing, authentication or the body: a flood costs us as little as possible
            var limit = limiter.check(clientIp, path == null ? "/" : path);
            if (limit instanceof RequestLimiter.Decision.Throttled throttled) {
                var outcome = errors.render(ApiException.tooManyRequests(), ids, method, path, null, null);
                // Medplum sends this one as plain JSON; Retry-After is fhirhook's addition
                var result = new ApiResponse(429, ApiResponse.JSON, outcome.headers(), outcome.body())
                        .withHeader("Retry-After", Long.toString(throttled.retryAfterSeconds()));
                answer(request, response, callback, result, ids);
                return true;
            }
            var head = new Head(headers, ids, method, path, clientIp, limit);
            if (!hasContent(request)) {
                serve(request, response, callback, head);
                return true;
            }
            var arrived = ArrivedBody.take(request);
            if (arrived.whole()) {
                serve(arrived, response, callback, head);
            } else {
                whileWaiting(callback, () -> serve(arrived, response, callback, head));
            }
            return true;
        }

        /**
         * Goes on with a request on a virtual thread; what escapes there fails the exchange, as Jetty fails one that
         * escapes {@link #handle}, instead of leaving the client to its idle timeout.
         */
        private void whileWaiting(Callback callback, Runnable work) {
            waiting.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException | Error e) {
                    callback.failed(e);
                }
            });
        }

        /** What {@link #handle} learnt of a request before it chose the thread to serve it on. */
        private record Head(Map<String, List<String>> headers, RequestIds ids, String method, String path,
                String clientIp, RequestLimiter.Decision limit) {}

        private void serve(Request request, Response response, Callback callback, Head head) {
            var headers = head.headers();
            var ids = head.ids();
            String method = head.method();
            String path = head.path();
            ApiResponse result;
            try {
                result = dispatch(request, headers, ids, method, path, head.clientIp());
            } catch (Router.MethodNotAllowed e) {
                result = errors.render(ApiException.methodNotAllowed("Method not allowed"), ids, method, path, null, null)
                        .withHeader("Allow", String.join(", ", e.allowed()));
            } catch (Throwable failure) {
                var auth = headers.get("authorization");
                result = errors.render(failure, ids, method, path, auth == null ? null : auth.getFirst(),
                        request.getHttpURI().getQuery());
            }
            if (head.limit() instanceof RequestLimiter.Decision.Passed passed) {
                result.withHeader("RateLimit", "\"requests\";r=" + passed.remaining() + ";t=" + passed.resetSeconds());
            }
            answer(request, response, callback, result, ids);
        }

        /** Writes the answer; one given before the body was read (401, 413, 429, ...) also ends the connection. */
        private void answer(Request request, Response response, Callback callback, ApiResponse result, RequestIds ids) {
            if (request.getAttribute(BODY_READ) == null && hasContent(request)) {
                // the connection cannot be reused, so say so
                result.withHeader("Connection", "close");
                if (request.getAttribute(BODY_OPENED) == null) {
                    boolean allHere = request instanceof ArrivedBody arrived && arrived.whole();
                    if (allHere || Thread.currentThread().isVirtual()) {
                        answerThenDrain(request, response, callback, result, ids);
                    } else {
                        whileWaiting(callback, () -> answerThenDrain(request, response, callback, result, ids));
                    }
                    return;
                }
            }
            write(response, callback, result, ids);
        }

        private ApiResponse dispatch(Request request, Map<String, List<String>> headers, RequestIds ids,
                String method, String path, String clientIp) throws IOException {
            if (hasDotSegment(request.getHttpURI().getPath())) {
                throw ApiException.badRequest("http.invalid-path", "Invalid path: '.' and '..' segments are not allowed");
            }
            var match = router.match(method, path);
            var query = QueryString.parse(request.getHttpURI().getQuery());
            var head = new ApiRequest(method, path, match.params(), query, headers, new byte[0], ids,
                    clientIp, baseUrl);
            // Credentials are checked before the body is read: an anonymous client cannot make us buffer a megabyte.
            var principal = match.route().action() instanceof Route.Authenticated ? authenticator.authenticate(head) : null;
            if (match.route().action() instanceof Route.Raw raw) {
                return raw.handle(head, new Input(request, request.getHttpURI().getQuery()));
            }
            long limit = match.route().maxBodyBytes() > 0 ? match.route().maxBodyBytes() : settings.maxBodyBytes();
            var apiRequest = head.withBody(body(request, limit));
            try {
                return switch (match.route().action()) {
                    case Route.Open open -> open.handle(apiRequest);
                    case Route.Authenticated authenticated -> authenticated.handle(apiRequest, principal);
                    case Route.Raw raw -> throw new IllegalStateException("handled above");
                };
            } catch (ApiException e) {
                // refusals of authenticated callers are audited here, once, whichever feature refused them;
                // refused credentials were already audited by the authenticator with their reason
                if (e.status() == 403 && principal != null) {
                    audit.denied(apiRequest, principal.scope().author(), principal.clientId(), e.code());
                }
                throw e;
            }
        }

        /** The body of a raw route's request, read when (and if) the route asks. */
        private final class Input implements RawInput {
            private final Request request;
            private final String rawQuery;
            private boolean read;

            Input(Request request, String rawQuery) {
                this.request = request;
                this.rawQuery = rawQuery == null ? "" : rawQuery;
            }

            @Override
            public String rawQuery() {
                return rawQuery;
            }

            @Override
            public byte[] body(long maxBytes) {
                if (read) throw new IllegalStateException("the body was read already");
                read = true;
                return Dispatch.this.body(request, maxBytes);
            }
        }

        /** Raw dot segments would let one route's URL reach another after normalisation; refuse them. */
        static boolean hasDotSegment(String rawPath) {
            if (rawPath == null) return false;
            for (String segment : rawPath.split("/", -1)) {
                String s = segment.toLowerCase(Locale.ROOT);
                if (s.equals(".") || s.equals("..") || s.equals("%2e") || s.equals("%2e%2e") || s.equals(".%2e") || s.equals("%2e.")) {
                    return true;
                }
            }
            return false;
        }

        private static boolean hasContent(Request request) {
            return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        }

        private byte[] body(Request request, long maxBodyBytes) {
            long declared = request.getLength();
            if (declared > maxBodyBytes) throw ApiException.tooLarge("Request body too large");
            if (declared == 0) return new byte[0];
            request.setAttribute(BODY_OPENED, Boolean.TRUE);
            try {
                byte[] bytes = BodyReader.read(request, maxBodyBytes, declared,
                        System.nanoTime() + settings.bodyReadTimeout().toNanos());
                request.setAttribute(BODY_READ, Boolean.TRUE);
                return bytes;
            } catch (BodyReader.TooLarge e) {
                // a chunked body over the limit: discard the rest now, as answerThenDrain does for unread ones
                BodyReader.discard(request, drainBytes, System.nanoTime() + DRAIN_NANOS);
                throw ApiException.tooLarge("Request body too large");
            } catch (BodyReader.TooSlow e) {
                throw ApiException.bodyTimeout();
            } catch (IOException e) {
                // the client sent less than it announced, or broken chunked framing
                throw ApiException.badRequest("http.incomplete-body", "Request body incomplete or malformed");
            }
        }

        /**
         * Writes an answer given before the client finished sending its body, then reads and discards the rest of
         * the body, up to {@link #drainBytes} and {@link #DRAIN_NANOS}. Closing a socket with unread bytes makes
         * the kernel reset the connection, and a client still writing its body then sees "connection reset" instead
         * of the 401 or 413 it was sent. A body announced as larger than the bound is not read at all.
         */
        private void answerThenDrain(Request request, Response response, Callback callback, ApiResponse result,
                RequestIds ids) {
            try (var written = Blocker.callback()) {
                write(response, written, result, ids);
                written.block();
            } catch (IOException | RuntimeException e) {
                callback.failed(e);
                return;
            }
            if (request.getLength() <= drainBytes) {
                BodyReader.discard(request, drainBytes, System.nanoTime() + DRAIN_NANOS);
            }
            callback.succeeded();
        }

        private static Map<String, List<String>> headers(Request request) {
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (HttpField field : request.getHeaders()) {
                headers.computeIfAbsent(field.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(field.getValue());
            }
            return headers;
        }

        private void write(Response response, Callback callback, ApiResponse result, RequestIds ids) {
            response.setStatus(result.status());
            var out = response.getHeaders();
            StandardHeaders.apply(out, baseUrl.startsWith("https:"));
            out.put("X-Request-Id", ids.requestId());
            out.put("X-Trace-Id", ids.traceId());
            if (result.contentType() != null) out.put(HttpHeader.CONTENT_TYPE, result.contentType());
            result.headers().forEach(out::put);
            response.write(true, ByteBuffer.wrap(result.body()), callback);
        }
    }

    /** Jetty's reason for refusing a request (e.g. an ambiguous or malformed URI), short and printable, or "". */
    private static String reason(Request request) {
        Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
        if (!(message instanceof String text) || text.isBlank() || text.equalsIgnoreCase("Bad Request")) {
            return ": malformed request line, URI or path";
        }
        String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
        return ": " + (clean.length() > 120 ? clean.substring(0, 120) : clean);
    }

    /** Errors Jetty raises itself (malformed request line, headers too large, ...) as OperationOutcomes too. */
    private static final class OutcomeErrorHandler extends ErrorHandler {
        private final String baseUrl;

        OutcomeErrorHandler(String baseUrl) {
            this.baseUrl = baseUrl;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            int status = response.getStatus() >= 400 ? response.getStatus() : 400;
            var e = switch (status) {
                case 413 -> ApiException.tooLarge("Request body too large");
                case 415 -> ApiException.unsupportedMediaType();
                case 505 -> ApiException.httpVersionNotSupported();
                // GracefulHandler's answer to a request that arrives while the server stops
                case 503 -> ApiException.unavailable("http.shutting-down", "The server is shutting down; retry shortly");
                default -> status >= 500 ? ApiException.internal()
                        : ApiException.badRequest("http.bad-request", switch (status) {
                            case 414 -> "Request URI too long";
                            case 431 -> "Request headers too large";
                            default -> "Bad request" + reason(request);
                        });
            };
            var ids = new RequestIds(java.util.UUID.randomUUID().toString(), java.util.UUID.randomUUID().toString());
            var outcome = Outcomes.of(e, ids);
            response.setStatus(status);
            StandardHeaders.apply(response.getHeaders(), baseUrl.startsWith("https:"));
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, ApiResponse.FHIR_JSON);
            // Jetty closes the connection after a request it could not parse; saying so keeps clients from reusing
            // it for their next request, which would then fail with no response at all
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            if (status == 503) response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
            response.write(true, ByteBuffer.wrap(FhirJson.bytes(outcome)), callback);
            return true;
        }
    }
}
