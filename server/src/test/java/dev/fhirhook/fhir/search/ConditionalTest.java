package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** Conditional create, update, patch and delete: none, one and several matches, and concurrent identical requests. */
class ConditionalTest {
    private static final int PARALLEL = 50;

    // --- create -----------------------------------------------------------------------------------

    @Test
    void conditional_create_creates_when_nothing_matches_and_returns_the_match_otherwise() {
        var fhir = FhirClient.inNewProject();
        String criteria = "identifier=http://ids.example|p-1";

        var first = createIfNoneExist(fhir.api(), criteria, patient("p-1", "First"));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.header("Location")).contains("/fhir/R4/Patient/");
        String id = first.json().get("id").asText();
        String version = first.json().path("meta").path("versionId").asText();

        var second = createIfNoneExist(fhir.api(), criteria, patient("p-1", "Second"));
        assertThat(second.status()).as(second.toString()).isEqualTo(200);
        assertThat(second.json().get("id").asText()).isEqualTo(id);
        assertThat(second.json().path("meta").path("versionId").asText()).isEqualTo(version);
        assertThat(second.json().path("name").path(0).path("family").asText()).as("the existing one, unchanged").isEqualTo("First");
        assertThat(fhir.api().get("/fhir/R4/Patient/" + id + "/_history").json().path("total").asInt()).isEqualTo(1);
        assertThat(total(fhir, "Patient", "identifier", "http://ids.example|p-1")).isEqualTo(1);
    }

    @Test
    void conditional_create_with_several_matches_is_412_and_creates_nothing() {
        var fhir = FhirClient.inNewProject();
        fhir.create(patient("dup", "One"));
        fhir.create(patient("dup", "Two"));

        var reply = createIfNoneExist(fhir.api(), "identifier=http://ids.example|dup", patient("dup", "Three"));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(412);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(total(fhir, "Patient", "identifier", "http://ids.example|dup")).isEqualTo(2);
    }

    @Test
    void conditional_create_with_bad_criteria_is_400() {
        var fhir = FhirClient.inNewProject();
        var unknown = createIfNoneExist(fhir.api(), "no-such-param=1", patient("x", "X"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.outcomeText()).contains("no-such-param");
        var onlyResultParams = createIfNoneExist(fhir.api(), "_count=1", patient("x", "X"));
        assertThat(onlyResultParams.status()).isEqualTo(400);
        assertThat(fhir.ids("Patient")).isEmpty();
    }

    @Test
    void parallel_identical_conditional_creates_make_exactly_one_resource() throws Exception {
        var fhir = FhirClient.inNewProject();
        String criteria = "identifier=http://ids.example|race-create";

        var replies = inParallel(i -> () -> createIfNoneExist(fhir.api(), criteria, patient("race-create", "Racer")));

        assertThat(replies).allSatisfy(r -> assertThat(r.status()).as(r.toString()).isIn(200, 201));
        assertThat(replies).filteredOn(r -> r.status() == 201).hasSize(1);
        assertThat(replies.stream().map(r -> r.json().get("id").asText()).distinct()).hasSize(1);
        assertThat(total(fhir, "Patient", "identifier", "http://ids.example|race-create")).isEqualTo(1);
        assertThat(total(fhir, "Patient")).isEqualTo(1);
    }

    // --- update -----------------------------------------------------------------------------------

    @Test
    void conditional_update_creates_updates_or_refuses_by_the_number_of_matches() {
        var fhir = FhirClient.inNewProject();
        var created = fhir.api().put(byIdentifier("inv-1"), invoice("inv-1", "draft"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().get("id").asText();

        var updated = fhir.api().put(byIdentifier("inv-1"), invoice("inv-1", "issued"));
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        assertThat(updated.json().get("id").asText()).isEqualTo(id);
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + id).json().path("status").asText()).isEqualTo("issued");

        var wrongId = fhir.api().put(byIdentifier("inv-1"),
                invoice("inv-1", "cancelled").replace("{\"resourceType\":\"Invoice\",", "{\"resourceType\":\"Invoice\",\"id\":\"another\","));
        assertThat(wrongId.status()).isEqualTo(400);

        fhir.create(invoice("inv-2", "draft"));
        fhir.create(invoice("inv-2", "draft"));
        var several = fhir.api().put(byIdentifier("inv-2"), invoice("inv-2", "issued"));
        assertThat(several.status()).as(several.toString()).isEqualTo(412);
        assertThat(fhir.ids("Invoice", "identifier", "http://ids.example|inv-2", "status", "issued")).isEmpty();
    }

    @Test
    void a_conditional_update_that_matches_nothing_creates_with_the_body_id_only_when_that_id_is_free() {
        var fhir = FhirClient.inNewProject();
        String other = fhir.create(invoice("inv-other", "draft"));
        var before = fhir.api().get("/fhir/R4/Invoice/" + other).json();
        var taken = fhir.api().put(byIdentifier("inv-none"),
                invoice("inv-none", "issued").replace("{\"resourceType\":\"Invoice\",", "{\"resourceType\":\"Invoice\",\"id\":\"" + other + "\","));
        assertThat(taken.status()).as(taken.toString()).isEqualTo(409);
        assertThat(taken.errorCode()).isEqualTo("fhir.conditional-id-taken");
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + other).json()).as("the unmatched resource is untouched").isEqualTo(before);

        String free = "inv-free-" + java.util.UUID.randomUUID();
        var created = fhir.api().put(byIdentifier("inv-none"),
                invoice("inv-none", "issued").replace("{\"resourceType\":\"Invoice\",", "{\"resourceType\":\"Invoice\",\"id\":\"" + free + "\","));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("id").asText()).isEqualTo(free);
        assertThat(created.header("Location")).contains("/fhir/R4/Invoice/" + free + "/_history/");

        // an id another project uses is no 409: this project may not learn of it, and cannot write it either
        var elsewhere = FhirClient.inNewProject();
        var foreign = elsewhere.api().put(byIdentifier("inv-none"),
                invoice("inv-none", "issued").replace("{\"resourceType\":\"Invoice\",", "{\"resourceType\":\"Invoice\",\"id\":\"" + other + "\","));
        assertThat(foreign.status()).as(foreign.toString()).isEqualTo(404);
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + other).json()).isEqualTo(before);
    }

    @Test
    void parallel_identical_conditional_updates_leave_exactly_one_resource() throws Exception {
        var fhir = FhirClient.inNewProject();
        String path = byIdentifier("race-update");

        var replies = inParallel(i -> () -> fhir.api().put(path, """
                {"resourceType":"Invoice","status":"issued","identifier":[{"system":"http://ids.example","value":"race-update"}],
                 "note":[{"text":"writer %d"}]}""".formatted(i)));

        assertThat(replies).allSatisfy(r -> assertThat(r.status()).as(r.toString()).isIn(200, 201));
        assertThat(replies).filteredOn(r -> r.status() == 201).hasSize(1);
        assertThat(replies.stream().map(r -> r.json().get("id").asText()).distinct()).hasSize(1);
        assertThat(total(fhir, "Invoice", "identifier", "http://ids.example|race-update")).isEqualTo(1);
        assertThat(total(fhir, "Invoice")).isEqualTo(1);
        String id = replies.getFirst().json().get("id").asText();
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + id + "/_history").json().path("total").asInt()).isEqualTo(PARALLEL);
    }

    // --- patch ------------------------------------------------------------------------------------

    @Test
    void conditional_patch_patches_the_one_match_404_for_none_412_for_several() {
        var fhir = FhirClient.inNewProject();
        String patch = "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"issued\"}]";

        var none = fhir.api().patch(byIdentifier("nothing"), patch);
        assertThat(none.status()).as(none.toString()).isEqualTo(404);
        assertThat(fhir.ids("Invoice")).isEmpty();

        String one = fhir.create(invoice("one", "draft"));
        var patched = fhir.api().patch(byIdentifier("one"), patch);
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(patched.json().get("id").asText()).isEqualTo(one);
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + one).json().path("status").asText()).isEqualTo("issued");

        fhir.create(invoice("many", "draft"));
        fhir.create(invoice("many", "draft"));
        var several = fhir.api().patch(byIdentifier("many"), patch);
        assertThat(several.status()).as(several.toString()).isEqualTo(412);
        assertThat(fhir.ids("Invoice", "identifier", "http://ids.example|many", "status", "draft")).hasSize(2);
    }

    // --- delete -----------------------------------------------------------------------------------

    @Test
    void conditional_delete_deletes_the_one_match_nothing_for_none_412_for_several() {
        var fhir = FhirClient.inNewProject();
        String keep = fhir.create(invoice("keep", "draft"));

        var none = fhir.api().delete(byIdentifier("nothing"));
        assertThat(none.status()).as(none.toString()).isEqualTo(200);
        assertThat(fhir.ids("Invoice")).containsExactly(keep);

        String one = fhir.create(invoice("one", "draft"));
        var deleted = fhir.api().delete(byIdentifier("one"));
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(200);
        assertThat(fhir.api().get("/fhir/R4/Invoice/" + one).status()).isEqualTo(410);
        assertThat(fhir.ids("Invoice")).containsExactly(keep);

        String m1 = fhir.create(invoice("many", "draft"));
        String m2 = fhir.create(invoice("many", "draft"));
        var several = fhir.api().delete(byIdentifier("many"));
        assertThat(several.status()).as(several.toString()).isEqualTo(412);
        assertThat(fhir.ids("Invoice", "identifier", "http://ids.example|many")).containsExactlyInAnyOrder(m1, m2);

        var noCriteria = fhir.api().delete("/fhir/R4/Invoice");
        assertThat(noCriteria.status()).as("deleting every Invoice takes criteria").isEqualTo(400);
        assertThat(fhir.ids("Invoice")).hasSize(3);
    }

    @Test
    void conditional_interactions_never_match_another_project() {
        var a = FhirClient.inNewProject();
        var b = FhirClient.inNewProject();
        String inA = a.create(invoice("shared", "draft"));

        var create = createIfNoneExist(b.api(), "identifier=http://ids.example|shared", invoice("shared", "draft"), "Invoice");
        assertThat(create.status()).isEqualTo(201);
        assertThat(create.json().get("id").asText()).isNotEqualTo(inA);
        var delete = b.api().delete(byIdentifier("shared"));
        assertThat(delete.status()).isEqualTo(200);
        assertThat(a.api().get("/fhir/R4/Invoice/" + inA).status()).isEqualTo(200);
        var patch = b.api().patch(byIdentifier("shared"),
                "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"issued\"}]");
        assertThat(patch.status()).isEqualTo(404);
        assertThat(a.api().get("/fhir/R4/Invoice/" + inA).json().path("status").asText()).isEqualTo("draft");
    }

    // --- helpers ----------------------------------------------------------------------------------

    private static Api.Reply createIfNoneExist(Api api, String criteria, String body) {
        return createIfNoneExist(api, criteria, body, "Patient");
    }

    private static Api.Reply createIfNoneExist(Api api, String criteria, String body, String type) {
        return api.send(api.request("/fhir/R4/" + type).header("Content-Type", Api.FHIR_JSON).header("If-None-Exist", criteria)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static long total(FhirClient fhir, String type, String... criteria) {
        var pairs = new ArrayList<>(List.of(criteria));
        pairs.addAll(List.of("_total", "accurate"));
        var reply = fhir.search(type, pairs.toArray(String[]::new));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("total").asLong();
    }

    /** Runs {@code PARALLEL} requests released together on virtual threads; fails if they take over 60 s. */
    private static List<Api.Reply> inParallel(IntFunction<Callable<Api.Reply>> request) throws Exception {
        var start = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            var futures = new ArrayList<Future<Api.Reply>>();
            for (int i = 0; i < PARALLEL; i++) {
                var call = request.apply(i);
                futures.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            var replies = new ArrayList<Api.Reply>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (var f : futures) replies.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            return replies;
        }
    }

    private static String byIdentifier(String value) {
        return "/fhir/R4/Invoice?" + FhirClient.query("identifier", "http://ids.example|" + value);
    }

    private static String patient(String identifier, String family) {
        return """
                {"resourceType":"Patient","identifier":[{"system":"http://ids.example","value":"%s"}],"name":[{"family":"%s"}]}"""
                .formatted(identifier, family);
    }

    private static String invoice(String identifier, String status) {
        return """
                {"resourceType":"Invoice","status":"%s","identifier":[{"system":"http://ids.example","value":"%s"}]}"""
                .formatted(status, identifier);
    }
}
