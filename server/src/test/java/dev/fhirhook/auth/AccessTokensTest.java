package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import dev.fhirhook.testing.ManualClock;
import org.junit.jupiter.api.Test;

/** The pure part of tokens: signing, expiry and leeway on a clock the test moves, and lifetimes. */
class AccessTokensTest {
    private static final String ISSUER = "https://fhir.example/";
    private static final AccessTokens.Claims CLAIMS = new AccessTokens.Claims("login-1", "client-1", "ClientApplication/client-1", "openid");

    @Test
    void a_token_is_valid_from_nbf_until_exp_give_or_take_the_leeway() {
        var clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var tokens = new AccessTokens(new SigningKeys(List.of(SigningKeys.generate())), clock);
        String token = tokens.issue(ISSUER, CLAIMS, Duration.ofMinutes(5));
        assertThat(tokens.verify(token, ISSUER)).isEqualTo(new AccessTokens.Verification.Valid(CLAIMS));

        clock.advance(Duration.ofMinutes(5).plus(AccessTokens.LEEWAY).minusSeconds(1));
        assertThat(tokens.verify(token, ISSUER)).isInstanceOf(AccessTokens.Verification.Valid.class);
        clock.advance(Duration.ofSeconds(1));
        assertThat(tokens.verify(token, ISSUER)).isEqualTo(new AccessTokens.Verification.Invalid("expired"));

        assertThat(new AccessTokens(new SigningKeys(List.of(SigningKeys.generate())), clock).verify(token, ISSUER))
                .as("another key set does not know the kid").isEqualTo(new AccessTokens.Verification.Invalid("unknown kid"));
    }

    @Test
    void a_token_from_the_future_is_refused_beyond_the_leeway() {
        var issuing = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var keys = new SigningKeys(List.of(SigningKeys.generate()));
        issuing.advance(Duration.ofMinutes(10));
        String token = new AccessTokens(keys, issuing).issue(ISSUER, CLAIMS, Duration.ofHours(1));
        var checking = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
        var verifier = new AccessTokens(keys, checking);
        assertThat(verifier.verify(token, ISSUER)).isEqualTo(new AccessTokens.Verification.Invalid("not yet valid"));
        checking.advance(Duration.ofMinutes(10).minus(AccessTokens.LEEWAY));
        assertThat(verifier.verify(token, ISSUER)).isInstanceOf(AccessTokens.Verification.Valid.class);
        assertThat(verifier.verify(token, "https://other.example/")).isEqualTo(new AccessTokens.Verification.Invalid("issuer"));
    }

    @Test
    void lifetimes_follow_the_medplum_pattern_and_fall_back_to_one_hour() {
        assertThat(AccessTokens.lifetime("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(AccessTokens.lifetime("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(AccessTokens.lifetime("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(AccessTokens.lifetime("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(AccessTokens.lifetime("2w")).isEqualTo(Duration.ofDays(14));
        assertThat(AccessTokens.lifetime("1y")).isEqualTo(Duration.ofDays(365));
        for (String bad : new String[] {null, "", "1", "h", "1.5h", "-1h", "1H", " 1h", "1h ", "0s", "999999999999y",
                "99999999999999999999s", "1x"}) {
            assertThat(AccessTokens.lifetime(bad)).as(String.valueOf(bad)).isEqualTo(Duration.ofHours(1));
        }
    }
}
