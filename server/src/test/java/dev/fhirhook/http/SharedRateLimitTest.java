package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.config.Config;
import dev.fhirhook.http.RequestLimiter.Decision;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code rate-limit-store=postgres}: limiters (nodes) over one database share each bucket, with time from a manual
 * clock; expired rows are cleaned up; an unreachable store lets requests pass instead of failing them.
 */
class SharedRateLimitTest {
    private static final DataSource DATABASE = TestServer.get().server().database().dataSource();

    /** An address no other test uses, so buckets left in the shared table by other tests cannot interfere. */
    private static String address() {
        var random = ThreadLocalRandom.current();
        return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(1, 255);
    }

    private static long rows(String client) {
        return TestServer.get().server().database().jdbc().queryOne("select count(*) from rate_limit_bucket where id like ?",
                rs -> rs.getLong(1), "%:" + client).orElse(0L);
    }

    @Test
    void two_limiters_on_one_database_share_one_budget_and_refill_together() {
        var clock = new ManualClock(Instant.now());
        var limits = new Config.RateLimits(5, 3, 2);
        var nodeA = RequestLimiter.shared(limits, clock, DATABASE);
        var nodeB = RequestLimiter.shared(limits, clock, DATABASE);
        String ip = address();
        assertThat(nodeA.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(4, 60));
        assertThat(nodeB.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(3, 60));
        assertThat(nodeA.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(2, 60));
        clock.advance(Duration.ofSeconds(20));
        assertThat(nodeB.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(1, 40));
        assertThat(nodeA.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(0, 40));
        assertThat(nodeB.check(ip, "/fhir/R4/Patient")).as("the budget is spent on both nodes")
                .isEqualTo(new Decision.Throttled(5, 40));
        assertThat(nodeA.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Throttled(5, 40));
        assertThat(nodeA.check(ip, "/oauth2/token")).as("another category, another bucket").isEqualTo(new Decision.Passed(2, 60));
        assertThat(nodeB.check(address(), "/fhir/R4/Patient")).as("another address").isEqualTo(new Decision.Passed(4, 60));
        assertThat(nodeA.size()).as("nothing held in memory").isZero();

        clock.advance(Duration.ofSeconds(40));
        assertThat(nodeB.check(ip, "/fhir/R4/Patient")).as("refilled after the window").isEqualTo(new Decision.Passed(4, 60));
        assertThat(nodeA.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(3, 60));
        assertThat(rows(ip)).isEqualTo(2);

        // a node in local mode keeps its own count: that is the difference the setting makes
        var local = new RequestLimiter(limits, clock);
        assertThat(local.check(ip, "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(4, 60));
    }

    @Test
    void a_node_with_another_limit_counts_in_buckets_of_its_own() {
        var clock = new ManualClock(Instant.now());
        String ip = address();
        var small = RequestLimiter.shared(new Config.RateLimits(1, 1, 1), clock, DATABASE);
        var large = RequestLimiter.shared(new Config.RateLimits(10, 10, 10), clock, DATABASE);
        assertThat(small.check(ip, "/")).isEqualTo(new Decision.Passed(0, 60));
        assertThat(small.check(ip, "/")).isInstanceOf(Decision.Throttled.class);
        assertThat(large.check(ip, "/")).isEqualTo(new Decision.Passed(9, 60));
    }

    @Test
    void rows_of_buckets_that_are_full_again_are_deleted_about_once_per_window() {
        var clock = new ManualClock(Instant.now());
        var limiter = RequestLimiter.shared(new Config.RateLimits(5, 5, 5), clock, DATABASE);
        limiter.check(address(), "/"); // the first check cleans up, then not again for a window
        // Bucket4j stamps rows with the database client's real time, so an expired row is written directly
        String stale = address();
        TestServer.get().server().database().jdbc().update(
                "insert into rate_limit_bucket (id, state, expires_at) values (?, null, ?)", "default:5:" + stale,
                System.currentTimeMillis() - 1_000);
        String fresh = address();
        limiter.check(fresh, "/");
        assertThat(rows(stale)).as("not due yet").isEqualTo(1);
        clock.advance(Duration.ofSeconds(61));
        limiter.check(address(), "/");
        assertThat(rows(stale)).isZero();
        assertThat(rows(fresh)).as("a bucket still counting stays").isEqualTo(1);
    }

    @Test
    void an_unreachable_store_lets_requests_pass() {
        var nowhere = new PGSimpleDataSource();
        nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=1");
        var limiter = RequestLimiter.shared(new Config.RateLimits(1, 1, 1), new ManualClock(Instant.now()), nowhere);
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.check("192.0.2.1", "/fhir/R4/Patient")).isInstanceOf(Decision.Unlimited.class);
        }
    }

    @Test
    void two_servers_configured_with_the_postgres_store_share_the_budget_over_http() throws Exception {
        var clock = new ManualClock(Instant.now());
        var shared = TestServer.get().server().database();
        var config = Map.of("database-url", shared.jdbcUrl(), "database-user", "postgres",
                "rate-limit-default", "7", "rate-limit-store", "postgres");
        try (var a = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-node-a-"), config), clock);
                var b = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-node-b-"), config), clock)) {
            var onA = new Api(a.baseUrl(), null, null);
            var onB = new Api(b.baseUrl(), null, null);
            int passed = 0;
            for (int i = 0; i < 8; i++) {
                var reply = (i % 2 == 0 ? onA : onB).get("/healthcheck");
                if (reply.status() == 200) passed++;
                else assertThat(reply.status()).isEqualTo(429);
            }
            assertThat(passed).as("7 per minute for the address, across both nodes").isEqualTo(7);
            var refused = onA.get("/healthcheck");
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.header("Retry-After")).isEqualTo("60");
            clock.advance(Duration.ofSeconds(60));
            var again = onB.get("/healthcheck");
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.header("RateLimit")).isEqualTo("\"requests\";r=6;t=60");
        } finally {
            TestServer.get().server().database().jdbc().update("delete from rate_limit_bucket where id like 'default:7:%'");
        }
    }
}
