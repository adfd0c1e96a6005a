package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What java.net.http.HttpClient refuses to send, written byte by byte to the server's port: malformed request
 * lines, oversized headers, broken query strings, dot-segments and encoded slashes, contradictory framing.
 * Every answer must be a 4xx OperationOutcome, and the server must stay healthy.
 */
class HttpEdgeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static TestProject project;
    static String authorization;

    @BeforeAll
    static void project() {
        project = TestServer.get().newProject();
        authorization = "Basic " + Base64.getEncoder().encodeToString(
                (project.clientId() + ":" + project.secret()).getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void the_server_is_still_healthy() throws IOException {
        var health = TestServer.get().anonymous().get("/healthcheck");
        assertThat(health.status()).as(health.toString()).isEqualTo(200);
        var raw = send("GET /healthcheck HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(raw.status()).as(raw.toString()).isEqualTo(200);
    }

    // --- a tiny HTTP/1.1 client -----------------------------------------------------------------------

    record RawReply(int status, String statusLine, Map<String, String> headers, byte[] body) {
        String text() { return new String(body, StandardCharsets.UTF_8); }

        String header(String name) { return headers.get(name.toLowerCase(Locale.ROOT)); }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }

        @Override
        public String toString() {
            return statusLine + " " + headers + " " + text();
        }
    }

    private static RawReply send(String request) throws IOException {
        return send(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Writes the bytes, half-closes, and reads the first response up to its end or the end of the stream. */
    private static RawReply send(byte[] request) throws IOException {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), TestServer.get().server().port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may answer and close before it has read everything; read what it said
            }
            return read(socket.getInputStream());
        }
    }

    static RawReply read(InputStream in) throws IOException {
        var head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) throw new AssertionError("connection closed before a complete response head: "
                    + head.toString(StandardCharsets.ISO_8859_1));
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : b == '\r' ? 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String statusLine = lines[0];
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = chunked(in);
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else {
            body = readToEnd(in);
        }
        return new RawReply(status, statusLine, headers, body);
    }

    private static byte[] chunked(InputStream in) throws IOException {
        var body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(in);
            int size = Integer.parseInt(sizeLine.split(";")[0].strip(), 16);
            if (size == 0) return body.toByteArray();
            body.write(in.readNBytes(size));
            line(in);
        }
    }

    private static String line(InputStream in) throws IOException {
        var line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') if (b != '\r') line.append((char) b);
        return line.toString();
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("response without length did not end", e);
        }
    }

    /** A 4xx (exactly {@code status} when given) OperationOutcome with an error issue and some text. */
    static JsonNode assertOutcome(RawReply reply, int status, String... words) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        return assertOutcomeBody(reply, words);
    }

    private static JsonNode assertOutcomeBody(RawReply reply, String... words) {
        assertThat(reply.status()).as(reply.toString()).isBetween(400, 499);
        assertThat(reply.header("content-type")).as(reply.toString()).startsWith("application/fhir+json");
        var json = reply.json();
        assertThat(json.path("resourceType").asText()).as(reply.toString()).isEqualTo("OperationOutcome");
        var issue = json.path("issue").path(0);
        assertThat(issue.path("severity").asText()).as(reply.toString()).isEqualTo("error");
        String text = issue.path("details").path("text").asText();
        assertThat(text).as(reply.toString()).isNotBlank();
        if (words.length > 0) assertThat(text).as(reply.toString()).contains(words);
        assertThat(reply.header("x-content-type-options")).as("standard headers on " + reply).isEqualTo("nosniff");
        return json;
    }

    private static String get(String target, String... extraHeaders) {
        return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization + "\r\n"
                + String.join("", Stream.of(extraHeaders).map(h -> h + "\r\n").toList()) + "Connection: close\r\n\r\n";
    }

    // --- the client itself works ------------------------------------------------------------------------

    @Test
    void a_well_formed_raw_request_is_answered_normally() throws IOException {
        var reply = send(get("/fhir/R4/Patient/_history"));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("Bundle");
    }

    // --- request line -----------------------------------------------------------------------------------

    static Stream<Arguments> malformedRequestLines() {
        return Stream.of(
                arguments(named("a single word", "GARBAGE\r\n\r\n")),
                arguments(named("a method only", "GET\r\n\r\n")),
                arguments(named("a space in the target", "GET /health check HTTP/1.1\r\nHost: localhost\r\n\r\n")),
                arguments(named("a control character in the target", "GET /health\u0001check HTTP/1.1\r\nHost: localhost\r\n\r\n")),
                arguments(named("a method with a slash", "G/ET /healthcheck HTTP/1.1\r\nHost: localhost\r\n\r\n")),
                arguments(named("a target that is not a path", "GET healthcheck HTTP/1.1\r\nHost: localhost\r\n\r\n")),
                arguments(named("a header without a colon", "GET /healthcheck HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n")),
                arguments(named("a space before the header colon", "GET /healthcheck HTTP/1.1\r\nHost : localhost\r\n\r\n")),
                arguments(named("an obsolete folded header", "GET /healthcheck HTTP/1.1\r\nHost: localhost\r\nX-A: a\r\n  folded\r\n\r\n")));
    }

    @ParameterizedTest
    @MethodSource("malformedRequestLines")
    void a_malformed_request_is_400(String request) throws IOException {
        assertOutcome(send(request), 400);
    }

    /**
     * A missing or malformed HTTP version. Jetty answers 505 for these; whatever the status, the outcome must
     * say what is wrong rather than claim an internal server error.
     */
    @ParameterizedTest
    @ValueSource(strings = {"GET /healthcheck\r\nHost: localhost\r\n\r\n", "GET /healthcheck HTTP/1.x\r\nHost: localhost\r\n\r\n",
            "GET /healthcheck HTTP/9.9\r\nHost: localhost\r\n\r\n"})
    void a_missing_or_unknown_http_version_is_an_outcome_that_names_the_version(String request) throws IOException {
        var reply = send(request);
        assertThat(reply.status()).as(reply.toString()).isIn(400, 505);
        var json = reply.json();
        assertThat(json.path("resourceType").asText()).as(reply.toString()).isEqualTo("OperationOutcome");
        assertThat(json.path("issue").path(0).path("details").path("text").asText()).as(reply.toString())
                .doesNotContain("Internal server error").containsIgnoringCase("version");
    }

    @Test
    void tls_bytes_on_the_plain_port_are_400() throws IOException {
        byte[] clientHello = {0x16, 0x03, 0x01, 0x00, (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a};
        assertOutcome(send(clientHello), 400);
    }

    @Test
    void an_http_1_1_request_without_host_is_400() throws IOException {
        assertOutcome(send("GET /healthcheck HTTP/1.1\r\nConnection: close\r\n\r\n"), 400);
    }

    @Test
    void two_host_headers_are_400() throws IOException {
        assertOutcome(send("GET /healthcheck HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n"), 400);
    }

    // --- sizes ------------------------------------------------------------------------------------------

    @Test
    void a_header_over_16_kib_is_431() throws IOException {
        var json = assertOutcome(send(get("/fhir/R4/Patient/_history", "X-Big: " + "a".repeat(17 * 1024))), 431,
                "Request headers too large");
        assertThat(json.path("issue").path(0).path("code").asText()).isNotBlank();
    }

    @Test
    void many_small_headers_over_16_kib_in_total_are_431() throws IOException {
        String[] headers = new String[1200];
        for (int i = 0; i < headers.length; i++) headers[i] = "X-H" + i + ": 0123456789";
        assertOutcome(send(get("/fhir/R4/Patient/_history", headers)), 431, "Request headers too large");
    }

    @Test
    void a_request_target_over_the_header_limit_is_414_or_431() throws IOException {
        var reply = send(get("/fhir/R4/Patient/_history?_count=1&x=" + "a".repeat(20 * 1024)));
        assertThat(reply.status()).as(reply.toString()).isIn(414, 431);
        assertOutcomeBody(reply, "too");
    }

    // --- query string -----------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"a=%zz", "a=%", "a=%4", "%zz=1", "_count=%G1", "a=%%41"})
    void bad_percent_encoding_in_the_query_is_400(String query) throws IOException {
        var json = assertOutcome(send(get("/fhir/R4/Patient/_history?" + query)), 400, "Invalid query string", "percent-encoding");
        assertThat(json.path("issue").path(0).path("code").asText()).isEqualTo("invalid");
    }

    @Test
    void bad_percent_encoding_in_the_query_is_400_even_without_credentials() throws IOException {
        assertOutcome(send("GET /fhir/R4/Patient/_history?a=%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 400,
                "Invalid query string");
    }

    @Test
    void one_thousand_and_one_query_parameters_are_400() throws IOException {
        var query = String.join("&", Stream.generate(() -> "_count=5").limit(1001).toList());
        assertOutcome(send(get("/fhir/R4/Patient/_history?" + query)), 400, "Too many query parameters", "1000");
    }

    @Test
    void one_thousand_query_parameters_are_allowed() throws IOException {
        var query = String.join("&", Stream.generate(() -> "_count=5").limit(1000).toList());
        var reply = send(get("/fhir/R4/Patient/_history?" + query));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    @Test
    void one_thousand_and_one_distinct_query_parameters_are_400() throws IOException {
        var query = new StringBuilder("_count=5");
        for (int i = 0; i < 1000; i++) query.append("&p").append(i).append('=').append(i);
        assertOutcome(send(get("/fhir/R4/Patient/_history?" + query)), 400, "Too many query parameters");
    }

    // --- paths ------------------------------------------------------------------------------------------

    static Stream<Arguments> suspiciousPaths() {
        return Stream.of(
                arguments(named("dot-dot above the root", "/../healthcheck")),
                arguments(named("dot-dot far above the root", "/fhir/R4/Patient/../../../../../etc/passwd")),
                arguments(named("encoded dot-dot", "/fhir/R4/Patient/%2e%2e/%2e%2e/%2e%2e/healthcheck")),
                arguments(named("encoded dot-dot, upper case", "/fhir/R4/Patient/%2E%2E")),
                arguments(named("dot-dot with an encoded slash", "/fhir/R4/Patient/..%2F..%2F..%2Fhealthcheck")),
                arguments(named("an encoded slash in an id", "/fhir/R4/Patient/a%2Fb")),
                arguments(named("an encoded slash, lower case", "/fhir/R4/Patient/a%2fb/_history")),
                arguments(named("an encoded backslash", "/fhir/R4/Patient/..%5C..%5Chealthcheck")),
                arguments(named("a double-encoded slash", "/fhir/R4/Patient/a%252Fb")),
                arguments(named("an encoded NUL", "/fhir/R4/Patient/a%00b")),
                arguments(named("a bad percent-encoding in the path", "/fhir/R4/Patient/%zz")),
                arguments(named("invalid UTF-8 in the path", "/fhir/R4/Patient/%C3%28")),
                arguments(named("a path parameter", "/fhir/R4/Patient/x;jsessionid=1")),
                arguments(named("an empty segment", "/fhir/R4//Patient/x")));
    }

    @ParameterizedTest
    @MethodSource("suspiciousPaths")
    void a_suspicious_path_is_a_4xx_outcome(String path) throws IOException {
        var reply = send(get(path));
        assertOutcomeBody(reply);
        assertThat(reply.status()).as(reply.toString()).isIn(400, 404);
    }

    @ParameterizedTest
    @MethodSource("suspiciousPaths")
    void a_suspicious_path_is_a_4xx_outcome_without_credentials(String path) throws IOException {
        var reply = send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertOutcomeBody(reply);
        assertThat(reply.status()).as(reply.toString()).isIn(400, 401, 404);
    }

    /** A dot-segment must not let a request reach another route than the path it names. */
    @ParameterizedTest
    @ValueSource(strings = {"/fhir/R4/Patient/../../../healthcheck", "/fhir/../healthcheck", "/fhir/R4/./metadata/../../../healthcheck"})
    void dot_segments_inside_the_root_do_not_reach_another_route(String path) throws IOException {
        var reply = send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertOutcomeBody(reply);
    }

    @Test
    void an_absolute_form_target_is_answered_like_the_path() throws IOException {
        var reply = send("GET http://localhost/healthcheck HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    @Test
    void an_asterisk_target_is_a_4xx_outcome() throws IOException {
        assertOutcomeBody(send("GET * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    }

    // --- message framing --------------------------------------------------------------------------------

    private static String post(String headers, String body) {
        return "POST /fhir/R4/Patient HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
                + "\r\nContent-Type: application/fhir+json\r\n" + headers + "Connection: close\r\n\r\n" + body;
    }

    @Test
    void content_length_and_chunked_together_are_400() throws IOException {
        String chunk = "{\"resourceType\":\"Patient\"}";
        var reply = send(post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
                Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n"));
        assertOutcome(reply, 400);
        assertNoPatients();
    }

    @Test
    void two_different_content_lengths_are_400() throws IOException {
        var reply = send(post("Content-Length: 26\r\nContent-Length: 5\r\n", "{\"resourceType\":\"Patient\"}"));
        assertOutcome(reply, 400);
        assertNoPatients();
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-1", "1 2", "99999999999999999999999"})
    void a_malformed_content_length_is_400(String length) throws IOException {
        var reply = send(post("Content-Length: " + length + "\r\n", "{\"resourceType\":\"Patient\"}"));
        assertOutcomeBody(reply);
        assertThat(reply.status()).as(reply.toString()).isIn(400, 413);
        assertNoPatients();
    }

    @Test
    void a_malformed_chunk_size_is_400() throws IOException {
        var reply = send(post("Transfer-Encoding: chunked\r\n", "zz\r\n{\"resourceType\":\"Patient\"}\r\n0\r\n\r\n"));
        assertOutcome(reply, 400);
        assertNoPatients();
    }

    @Test
    void an_unknown_transfer_encoding_is_a_4xx_outcome() throws IOException {
        var reply = send(post("Transfer-Encoding: gzip, chunked, bogus\r\n", "1a\r\n{\"resourceType\":\"Patient\"}\r\n0\r\n\r\n"));
        assertOutcomeBody(reply);
        assertNoPatients();
    }

    @Test
    void a_body_shorter_than_its_content_length_is_a_4xx_outcome() throws IOException {
        var reply = send(post("Content-Length: 500\r\n", "{\"resourceType\":\"Patient\"}"));
        assertOutcomeBody(reply);
        assertNoPatients();
    }

    @Test
    void a_chunked_body_that_ends_early_is_a_4xx_outcome() throws IOException {
        var reply = send(post("Transfer-Encoding: chunked\r\n", "100\r\n{\"resourceType\":\"Patient\"}"));
        assertOutcomeBody(reply);
        assertNoPatients();
    }

    // --- answers given before the body was read ---------------------------------------------------------

    static Stream<Arguments> earlyAnswers() {
        byte[] body = new byte[(int) HttpServer.DRAIN_BYTES];
        java.util.Arrays.fill(body, (byte) ' ');
        var chunked = new ByteArrayOutputStream();
        for (int at = 0; at < body.length; at += 64 * 1024) {
            chunked.writeBytes((Integer.toHexString(64 * 1024) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.write(body, at, 64 * 1024);
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String length = "Content-Length: " + body.length + "\r\n";
        return Stream.of(
                arguments(named("413, Content-Length over the limit", authorization + "\r\n" + length), body, 413),
                arguments(named("413, chunked over the limit", authorization + "\r\nTransfer-Encoding: chunked\r\n"),
                        chunked.toByteArray(), 413),
                arguments(named("401, no credentials", "Basic Ym9ndXM6Ym9ndXM=\r\n" + length), body, 401));
    }

    @ParameterizedTest
    @MethodSource("earlyAnswers")
    void a_client_that_keeps_sending_its_body_reads_the_early_answer(String headers, byte[] body, int status)
            throws Exception {
        // An ordinary client writes its whole body while the answer is already on its way. The server reads and
        // discards the rest (up to HttpServer.DRAIN_BYTES) before closing: closing with unread bytes would reset the
        // connection, and the client would see "connection reset" instead of the answer.
        var reply = sendWhileAnswered("POST /fhir/R4/Patient HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/fhir+json\r\nAuthorization: " + headers + "\r\n", body);
        assertOutcome(reply, status);
        assertNoPatients();
    }

    @Test
    void a_webhook_body_within_the_webhook_limit_but_over_the_drain_minimum_is_read_to_the_end_after_a_refusal()
            throws Exception {
        // webhook-max-body-size (8 MiB by default) is above the 4 MiB every route gets: a provider sending 6 MiB
        // to a membership that does not exist reads its 404 rather than a reset
        byte[] body = new byte[6 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) ' ');
        assertThat((long) body.length).isGreaterThan(HttpServer.DRAIN_BYTES);
        var reply = sendWhileAnswered("POST /webhook/" + java.util.UUID.randomUUID() + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n", body);
        assertOutcome(reply, 404);
    }

    /**
     * Writes {@code head} and {@code body} from another thread while reading the answer, which must end the
     * connection; then checks that every byte was taken (none refused by a reset) and the stream ended cleanly.
     */
    private static RawReply sendWhileAnswered(String head, byte[] body) throws Exception {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), TestServer.get().server().port())) {
            socket.setSoTimeout(15_000);
            var writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().write(body);
                    socket.getOutputStream().flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            var reply = read(socket.getInputStream());
            assertThat(reply.header("connection")).as(reply.toString()).isEqualTo("close");
            writer.get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(socket.getInputStream().read()).as("a clean end of stream after the answer").isEqualTo(-1);
            return reply;
        }
    }

    @Test
    void a_client_that_announces_a_body_and_sends_none_gets_the_answer_and_the_connection_closes_soon()
            throws IOException {
        // 401 before the body is read: waiting to discard a body that never comes must not hold the connection
        // open for the connector's idle timeout once the answer is out (HttpServer.DRAIN_NANOS at the most)
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), TestServer.get().server().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /fhir/R4/Patient HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            long start = System.nanoTime();
            var reply = read(socket.getInputStream());
            assertOutcome(reply, 401);
            assertThat(socket.getInputStream().read()).as("the server closes after the answer").isEqualTo(-1);
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
                    .isLessThan(java.time.Duration.ofNanos(HttpServer.DRAIN_NANOS).plusSeconds(5));
        }
    }

    private static void assertNoPatients() {
        var history = project.api().get("/fhir/R4/Patient/_history");
        assertThat(history.json().path("entry")).as(history.toString()).isEmpty();
    }
}
