package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.config.Config;
import dev.fhirhook.http.RequestLimiter.Category;
import dev.fhirhook.http.RequestLimiter.Decision;
import dev.fhirhook.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link RequestLimiter} with a manual clock: categories, counting, refill after the window, bounded memory. */
class RequestLimiterTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/auth/login, LOGIN", "/auth/newuser, LOGIN", "/auth/newproject, LOGIN",
            "/auth/login/, LOGIN", "//auth//login, LOGIN", "/AUTH/Login, LOGIN",
            "/auth/me, DEFAULT", "/auth/me/, DEFAULT", "/auth/login2, AUTH", "/auth/logout, AUTH",
            "/auth/, AUTH", "/oauth2/token, AUTH", "/oauth2/, AUTH", "/oauth2, AUTH", "/auth, AUTH",
            "/fhir/R4/Patient, DEFAULT", "/webhook/123, DEFAULT", "/, DEFAULT", "/fhir/R4/auth/login, DEFAULT",
            "/authx/login, DEFAULT",
    })
    void categories_are_matched_on_the_normalised_path(String path, Category category) {
        assertThat(Category.of(path)).isEqualTo(category);
    }

    @Test
    void a_category_allows_its_limit_per_minute_per_address_then_throttles_until_the_window_ends() {
        var limiter = new RequestLimiter(new Config.RateLimits(100, 10, 3), clock);
        for (int i = 2; i >= 0; i--) {
            assertThat(limiter.check("192.0.2.1", "/auth/login")).isEqualTo(new Decision.Passed(i, 60));
        }
        var throttled = limiter.check("192.0.2.1", "/auth/login");
        assertThat(throttled).isEqualTo(new Decision.Throttled(3, 60));
        clock.advance(Duration.ofSeconds(45));
        assertThat(limiter.check("192.0.2.1", "/auth/newuser")).isEqualTo(new Decision.Throttled(3, 15));
        assertThat(limiter.check("192.0.2.1", "/oauth2/token")).as("another category has its own bucket")
                .isEqualTo(new Decision.Passed(9, 60));
        assertThat(limiter.check("192.0.2.2", "/auth/login")).as("another address has its own bucket")
                .isEqualTo(new Decision.Passed(2, 60));
        clock.advance(Duration.ofMillis(14_500));
        assertThat(limiter.check("192.0.2.1", "/auth/login")).isEqualTo(new Decision.Throttled(3, 1));
        clock.advance(Duration.ofMillis(500));
        assertThat(limiter.check("192.0.2.1", "/auth/login")).as("refilled after the window").isEqualTo(new Decision.Passed(2, 60));
    }

    @Test
    void the_reset_time_counts_down_and_rounds_up() {
        var limiter = new RequestLimiter(new Config.RateLimits(5, 5, 5), clock);
        assertThat(limiter.check("192.0.2.1", "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(4, 60));
        clock.advance(Duration.ofMillis(30_001));
        assertThat(limiter.check("192.0.2.1", "/fhir/R4/Patient")).isEqualTo(new Decision.Passed(3, 30));
    }

    @Test
    void the_default_category_can_be_switched_off() {
        var limiter = new RequestLimiter(new Config.RateLimits(Config.RateLimits.OFF, 1, 1), clock);
        for (int i = 0; i < 1000; i++) assertThat(limiter.check("192.0.2.1", "/fhir/R4/Patient")).isInstanceOf(Decision.Unlimited.class);
        assertThat(limiter.check("192.0.2.1", "/oauth2/token")).isInstanceOf(Decision.Passed.class);
        assertThat(limiter.check("192.0.2.1", "/oauth2/token")).isInstanceOf(Decision.Throttled.class);
        assertThat(limiter.size()).isEqualTo(1);
    }

    @Test
    void ipv6_addresses_share_the_bucket_of_their_slash_64_and_spellings_of_one_address_are_one_client() {
        var limiter = new RequestLimiter(new Config.RateLimits(2, 2, 2), clock);
        assertThat(limiter.check("2001:db8:1:2::1", "/")).isInstanceOf(Decision.Passed.class);
        assertThat(limiter.check("2001:db8:1:2:ffff:ffff:ffff:ffff", "/")).isInstanceOf(Decision.Passed.class);
        assertThat(limiter.check("2001:DB8:1:2:0:0:0:77", "/")).isInstanceOf(Decision.Throttled.class);
        assertThat(limiter.check("2001:db8:1:3::1", "/")).as("another /64").isInstanceOf(Decision.Passed.class);
        assertThat(RequestLimiter.clientKey("::ffff:10.0.0.1")).isEqualTo(RequestLimiter.clientKey("10.0.0.1"));
    }

    @Test
    void a_flood_of_distinct_addresses_cannot_grow_the_map_beyond_its_bound() {
        var limiter = new RequestLimiter(new Config.RateLimits(5, 5, 5), clock, 1_000);
        limiter.check("198.51.100.1", "/");
        for (int i = 0; i < 20_000; i++) {
            limiter.check("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255), "/");
            assertThat(limiter.size()).isLessThanOrEqualTo(1_000);
        }
        // idle buckets go first: after a quiet minute, every old one is gone at the next sweep
        clock.advance(Duration.ofMinutes(2));
        for (int i = 0; i < 1_000; i++) limiter.check("172.16." + (i >> 8 & 255) + "." + (i & 255), "/");
        assertThat(limiter.size()).isLessThanOrEqualTo(1_000);
    }

    @Test
    void under_a_flood_the_least_recently_used_buckets_go_first_so_a_busy_address_keeps_its_count() {
        var limiter = new RequestLimiter(new Config.RateLimits(3, 3, 3), clock, 100);
        for (int i = 0; i < 3; i++) limiter.check("198.51.100.1", "/");
        for (int i = 0; i < 99; i++) limiter.check("10.0.0." + i, "/");
        clock.advance(Duration.ofSeconds(30));
        assertThat(limiter.check("198.51.100.1", "/")).isInstanceOf(Decision.Throttled.class);
        for (int i = 0; i < 50; i++) limiter.check("10.0.1." + i, "/");
        assertThat(limiter.size()).isLessThanOrEqualTo(100);
        assertThat(limiter.check("198.51.100.1", "/")).isInstanceOf(Decision.Throttled.class);
    }
}
