package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceApi;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.WriteCheck;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.policy.EffectivePolicy;
import dev.fhirhook.testing.TestServer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A conditional update (a bot's {@code medplum.upsertResource}) that finds its resource reads and locks that
 * resource's current row in the round trip of the criteria lock and search, and writes the new version with the
 * commit: two round trips to PostgreSQL, as for one that creates. Most of a provider's webhook events update a
 * resource an earlier event created, so this is the webhook path users run most. Counted on the statements sent to
 * PostgreSQL, through a real {@link ResourceApi} on the test server's database.
 */
class ConditionalUpdateRoundTripsTest {
    private static final String SYSTEM = "https://stripe.com/invoice/id";

    private final DataSource pool = TestServer.get().server().database().dataSource();
    /** The SQL of every statement sent through {@link #api}, in order; each is one round trip. */
    private final List<String> sent = Collections.synchronizedList(new ArrayList<>());
    private final ResourceApi api = api(counting(pool));
    private final Scope scope = new Scope("rt-" + UUID.randomUUID(), "ClientApplication/round-trips", false,
            EffectivePolicy.UNRESTRICTED, null);

    @Test
    void an_upsert_that_finds_its_resource_takes_two_round_trips_like_one_that_creates() {
        var created = upsert("in_1", "issued", Optional.empty());
        assertThat(created.status()).isEqualTo(201);
        assertThat(sent).as("the lock with the search, then the new Invoice with the commit").hasSize(2);

        sent.clear();
        var updated = upsert("in_1", "balanced", Optional.empty());
        assertThat(updated.status()).isEqualTo(200);
        assertThat(sent).as("the lock with the search that reads and locks the match, then the new version with the commit")
                .hasSize(2);
        assertThat(sent.getFirst()).contains("for update");
        var json = FhirJson.parse(updated.body());
        assertThat(json.path("id").asText()).isEqualTo(FhirJson.parse(created.body()).path("id").asText());
        assertThat(json.path("status").asText()).isEqualTo("balanced");
        assertThat(history(json.path("id").asText())).as("both versions").containsExactlyInAnyOrder("balanced", "issued");
    }

    @Test
    void the_match_is_read_after_the_lock_so_the_update_builds_on_a_version_committed_while_it_waited() throws Exception {
        String id = FhirJson.parse(upsert("in_2", "issued", Optional.empty()).body()).path("id").asText();
        var newer = UUID.randomUUID();
        var holding = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        // another writer holds the Invoice's row and replaces its version; it commits while the upsert waits
        var holder = CompletableFuture.runAsync(() -> new Jdbc(pool).inTransaction(tx -> {
            tx.query("select id from resource where resource_type = 'Invoice' and id = ? for update", rs -> 1, id);
            tx.update("update resource set version_id = ?, content = jsonb_set(content::jsonb, '{meta,versionId}', to_jsonb(?::text))::text"
                    + " where resource_type = 'Invoice' and id = ?", newer, newer.toString(), id);
            holding.countDown();
            await(release);
            return null;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        var upsert = CompletableFuture.supplyAsync(() -> upsert("in_2", "balanced", Optional.of("W/\"" + newer + "\"")));
        Thread.sleep(300);
        assertThat(upsert).as("waits for the row").isNotDone();
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
        var reply = upsert.get(10, TimeUnit.SECONDS);
        assertThat(reply.status()).as("If-Match names the version committed while it waited: %s",
                new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(FhirJson.parse(reply.body()).path("status").asText()).isEqualTo("balanced");
    }

    @Test
    void several_matches_are_412_and_change_neither() {
        create("in_dup", "issued");
        create("in_dup", "issued");
        var reply = upsert("in_dup", "balanced", Optional.empty());
        assertThat(reply.status()).isEqualTo(412);
        assertThat(history(null)).as("every version of the project").containsOnly("issued");
    }

    private ApiResponse upsert(String invoice, String status, Optional<String> ifMatch) {
        try {
            return api.conditionalUpdate(request("PUT", "identifier=" + SYSTEM + "|" + invoice, invoice, status, ifMatch), scope);
        } catch (dev.fhirhook.api.ApiException e) {
            return ApiResponse.json(e.status(), ApiResponse.FHIR_JSON, e.text().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A plain create, so that two Invoices can carry the same identifier. */
    private void create(String invoice, String status) {
        assertThat(api.create(request("POST", "", invoice, status, Optional.empty()), scope).status()).isEqualTo(201);
    }

    private ApiRequest request(String method, String query, String invoice, String status, Optional<String> ifMatch) {
        String body = """
                {"resourceType":"Invoice","identifier":[{"system":"%s","value":"%s"}],"status":"%s"}"""
                .formatted(SYSTEM, invoice, status);
        var headers = new java.util.LinkedHashMap<String, List<String>>();
        headers.put("content-type", List.of("application/fhir+json"));
        ifMatch.ifPresent(v -> headers.put("if-match", List.of(v)));
        return new ApiRequest(method, "/fhir/R4/Invoice", Map.of("type", "Invoice"), QueryString.parse(query), headers,
                body.getBytes(StandardCharsets.UTF_8), new RequestIds("round-trips", "round-trips"), "127.0.0.1",
                "http://localhost/");
    }

    /** The statuses of the Invoice's versions (all the project's when {@code id} is null). */
    private List<String> history(String id) {
        return new Jdbc(pool).query("select content::jsonb ->> 'status' from resource_history where project_id = ?"
                + (id == null ? "" : " and id = '" + id + "'"), rs -> rs.getString(1), scope.projectId());
    }

    private static ResourceApi api(DataSource dataSource) {
        var types = ResourceTypes.load();
        var parameters = SearchParameters.load(types);
        var parser = new SearchParser(parameters, types);
        var criteria = new PolicyCriteria(parser, types);
        var jdbc = new Jdbc(dataSource);
        var store = new ResourceStore(jdbc, Clock.systemUTC(), new SearchIndexer(parameters), criteria);
        var engine = new SearchEngine(jdbc, Clock.systemUTC(), criteria, 4);
        return new ResourceApi(store, types, new ConditionalSearch(parser, engine), WriteCheck.NONE, 1 << 20);
    }

    /** The pool, with every statement's execution recorded in {@link #sent}. */
    private DataSource counting(DataSource dataSource) {
        return proxy(DataSource.class, dataSource, (method, result) -> method.equals("getConnection")
                ? proxy(Connection.class, (Connection) result, (m, statement) -> m.equals("prepareStatement")
                        || m.equals("createStatement") ? statement(statement) : statement)
                : result);
    }

    private Object statement(Object statement) {
        return statement instanceof PreparedStatement ps
                ? proxy(PreparedStatement.class, ps, (m, r) -> r)
                : proxy(Statement.class, (Statement) statement, (m, r) -> r);
    }

    @FunctionalInterface
    private interface Wrap {
        Object apply(String method, Object result);
    }

    private <T> T proxy(Class<T> type, T target, Wrap wrap) {
        InvocationHandler handler = (p, method, args) -> {
            if (method.getName().startsWith("execute")) sent.add(sqlOf(target, args));
            try {
                return wrap.apply(method.getName(), method.invoke(target, args));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }

    private static String sqlOf(Object statement, Object[] args) {
        if (args != null && args.length > 0 && args[0] instanceof String sql) return sql;
        return statement.toString(); // pgjdbc's PreparedStatement prints its SQL
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
