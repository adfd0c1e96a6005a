package dev.fhirhook.bench;

import java.util.List;

/** A scenario of one HTTP request per operation, over one keep-alive connection per worker. */
record HttpScenario(String name, Target target, boolean authenticated, int expectedStatus, Requests requests)
        implements Scenario {

    /**
     * One request to send. {@code body} and {@code contentType} are null for GET.
     *
     * @param header one more header line ({@code Name: value}), or null
     */
    record Request(String method, String path, String contentType, byte[] body, String header) {
        Request(String method, String path, String contentType, byte[] body) {
            this(method, path, contentType, body, null);
        }
    }

    /** Makes worker {@code worker}'s {@code i}-th request. Called from that worker's thread only. */
    interface Requests {
        Request next(int worker, int concurrency, long i);
    }

    static final String FHIR_JSON = "application/fhir+json";

    static HttpScenario healthcheck(Target target) {
        var request = new Request("GET", target.path("healthcheck"), null, null);
        return new HttpScenario("healthcheck", target, false, 200, (w, c, i) -> request);
    }

    static HttpScenario create(Target target) {
        String path = target.path("fhir/R4/Patient");
        return new HttpScenario("create", target, true, 201,
                (w, c, i) -> new Request("POST", path, FHIR_JSON, Patients.forCreate(w, i)));
    }

    static HttpScenario read(Target target, List<String> ids) {
        String[] paths = ids.stream().map(id -> target.path("fhir/R4/Patient/" + id)).toArray(String[]::new);
        return new HttpScenario("read", target, true, 200,
                (w, c, i) -> new Request("GET", paths[idIndex(w, c, i, paths.length)], null, null));
    }

    static HttpScenario update(Target target, List<String> ids) {
        String[] array = ids.toArray(String[]::new);
        String prefix = target.path("fhir/R4/Patient/");
        return new HttpScenario("update", target, true, 200, (w, c, i) -> {
            String id = array[idIndex(w, c, i, array.length)];
            return new Request("PUT", prefix + id, FHIR_JSON, Patients.forUpdate(id, w, i));
        });
    }

    /** A search by identifier for one of the seeded Patients: exactly one match, through the token index. */
    static HttpScenario search(Target target, List<String> identifiers) {
        String[] paths = identifiers.stream()
                .map(v -> target.path("fhir/R4/Patient?identifier=" + Patients.IDENTIFIER_SYSTEM + "%7C" + v)).toArray(String[]::new);
        return new HttpScenario("search", target, true, 200,
                (w, c, i) -> new Request("GET", paths[idIndex(w, c, i, paths.length)], null, null));
    }

    /** {@code $execute} of a bot that answers at once. */
    static HttpScenario executeTrivial(Target target, String botId) {
        var request = new Request("POST", target.path("fhir/R4/Bot/" + botId + "/$execute"), "application/json",
                "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new HttpScenario("exec-trivial", target, true, 200, (w, c, i) -> request);
    }

    /** {@code $execute} of a bot that upserts an Invoice by identifier; every request names a new invoice. */
    static HttpScenario executeUpsert(Target target, String botId) {
        String path = target.path("fhir/R4/Bot/" + botId + "/$execute");
        String run = Long.toString(System.nanoTime(), 36);
        return new HttpScenario("exec-upsert", target, true, 200, (w, c, i) -> new Request("POST", path, "application/json",
                ("{\"id\":\"in_" + run + "_" + w + "_" + i + "\",\"amount\":" + (100 + i % 9000) + "}")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * Worker {@code w} cycles through its own slice of the ids, so that as long as there are at least as many
     * ids as workers, no two workers ever write the same resource at once (the bench measures throughput,
     * not lock contention on one row).
     */
    static int idIndex(int worker, int concurrency, long i, int size) {
        int slice = Math.max(1, size / concurrency);
        return (int) ((worker * (long) slice + i % slice) % size);
    }

    @Override
    public Worker worker(int index, int concurrency) {
        var connection = target.open(authenticated);
        return new Worker() {
            @Override
            public Outcome call(long i) throws Exception {
                var rq = requests.next(index, concurrency, i);
                var response = connection.send(rq.method(), rq.path(), rq.contentType(), rq.body(), rq.header());
                if (response.status() == expectedStatus) return Outcome.EXPECTED;
                return new Outcome.Unexpected("HTTP " + response.status(), rq.method() + " " + rq.path() + " -> "
                        + response.status() + " " + connection.bodyText());
            }

            @Override
            public void close() {
                connection.close();
            }
        };
    }
}
