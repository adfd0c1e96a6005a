package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.bot.runtime.ReturnValue;
import dev.fhirhook.bot.runtime.RunResult;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Prefer: respond-async} for bots (medplum-compat §5.5): an AsyncJob is stored as the caller, the run
 * happens on its own thread, and the job ends {@code completed} with the result as Parameters — a failed run
 * too, with an {@code outcome}; only a refusal before the code runs ends it in {@code error}. Jobs running
 * when the server stops stay {@code accepted}. Thread-safe.
 */
public final class AsyncJobs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AsyncJobs.class);

    private final ResourceStore store;
    private final Clock clock;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("bot-job-", 0).factory());
    private final BotExecutor executor;

    public AsyncJobs(ResourceStore store, BotExecutor executor, Clock clock) {
        this.store = store;
        this.executor = executor;
        this.clock = clock;
    }

    ApiResponse start(BotExecutor.Execution execution, Scope caller) {
        var request = execution.request();
        ObjectNode job = FhirJson.mapper().createObjectNode().put("resourceType", "AsyncJob").put("status", "accepted")
                .put("request", requestUrl(request)).put("requestTime", clock.instant().toString());
        var stored = store.create(caller, job);
        String statusUrl = request.baseUrl() + "fhir/R4/job/" + stored.id() + "/status";
        threads.submit(() -> finish(stored.id(), stored.projectId(), execution));
        var outcome = Outcomes.allOk(request.ids()).put("id", "accepted");
        var issue = (ObjectNode) outcome.withArray("issue").get(0);
        issue.put("diagnostics", statusUrl);
        ((ObjectNode) issue.get("details")).put("text", "Accepted");
        return ApiResponse.json(202, ApiResponse.FHIR_JSON, FhirJson.bytes(outcome)).withHeader("Content-Location", statusUrl);
    }

    /** {@code GET /fhir/R4/job/{id}/status}: 202 while the job runs, 200 with the AsyncJob when it has ended. */
    public ApiResponse status(ApiRequest request, Scope caller) {
        var job = store.read(caller, "AsyncJob", request.pathParam("id"));
        String status = job.json().path("status").asText("");
        if (status.equals("accepted") || status.equals("active")) {
            String url = request.baseUrl() + "fhir/R4/job/" + job.id() + "/status";
            var outcome = Outcomes.allOk(request.ids()).put("id", "accepted");
            return ApiResponse.json(202, ApiResponse.FHIR_JSON, FhirJson.bytes(outcome)).withHeader("Content-Location", url);
        }
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, job.content().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** {@code DELETE /fhir/R4/job/{id}/status}: marks the job cancelled (a run already going finishes unseen). */
    public ApiResponse cancel(ApiRequest request, Scope caller) {
        var job = store.read(caller, "AsyncJob", request.pathParam("id"));
        var json = job.json();
        if (json.path("status").asText("").equals("accepted")) {
            json.put("status", "cancelled");
            store.update(caller, json, Optional.empty(), "PUT");
        }
        return ApiResponse.json(202, ApiResponse.FHIR_JSON, FhirJson.bytes(Outcomes.allOk(request.ids()).put("id", "accepted")));
    }

    private void finish(String jobId, String projectId, BotExecutor.Execution execution) {
        ObjectNode parameters = FhirJson.mapper().createObjectNode().put("resourceType", "Parameters");
        String status = "completed";
        try {
            RunResult result = executor.run(execution, 0);
            output(parameters, result, execution.request().ids());
        } catch (ApiException refused) {
            status = "error";
            parameters.putArray("parameter").addObject().put("name", "outcome")
                    .set("resource", Outcomes.of(refused, execution.request().ids()));
        } catch (RuntimeException e) {
            status = "error";
            log.warn("async bot job {} failed", jobId, e);
            parameters.putArray("parameter").addObject().put("name", "outcome")
                    .set("resource", Outcomes.of(ApiException.internal(), execution.request().ids()));
        }
        try {
            var scope = Scope.system(projectId);
            var job = store.read(scope, "AsyncJob", jobId).json();
            if (job.path("status").asText().equals("cancelled")) return;
            job.put("status", status).put("transactionTime", clock.instant().toString()).set("output", parameters);
            store.update(scope, job, Optional.empty(), "PUT");
        } catch (RuntimeException e) {
            log.warn("could not record the end of async bot job {}", jobId, e);
        }
    }

    private static void output(ObjectNode parameters, RunResult result, RequestIds ids) {
        var parameter = parameters.putArray("parameter").addObject();
        switch (result) {
            case RunResult.Returned returned -> {
                switch (returned.value()) {
                    case ReturnValue.Undefined u -> parameter.put("name", "outcome").set("resource", Outcomes.allOk(ids));
                    case ReturnValue.Text text -> parameter.put("name", "responseBody").put("valueString", text.text());
                    case ReturnValue.Number number -> parameter.put("name", "responseBody").put("valueString", number.decimal());
                    case ReturnValue.Json json -> json(parameter, json.json());
                }
            }
            case RunResult.Failed failed -> parameter.put("name", "outcome").set("resource",
                    Outcomes.of(ApiException.badRequest("bot.failed-" + failed.reason().name().toLowerCase(java.util.Locale.ROOT),
                            failed.message()), ids));
            case RunResult.Rejected rejected -> parameter.put("name", "outcome").set("resource",
                    Outcomes.of(ApiException.tooManyRequests(), ids));
        }
    }

    private static void json(ObjectNode parameter, JsonNode value) {
        if (value.isBoolean()) {
            parameter.put("name", "responseBody").put("valueBoolean", value.asBoolean());
        } else if (value.path("resourceType").asText("").equals("OperationOutcome")) {
            parameter.put("name", "outcome").set("resource", value);
        } else {
            parameter.put("name", "responseBody").put("valueString", value.toString());
        }
    }

    private static String requestUrl(ApiRequest request) {
        String base = request.baseUrl().endsWith("/") ? request.baseUrl().substring(0, request.baseUrl().length() - 1) : request.baseUrl();
        return base + request.path();
    }

    @Override
    public void close() {
        threads.shutdown();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
