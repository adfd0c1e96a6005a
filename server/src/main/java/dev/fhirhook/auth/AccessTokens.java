package dev.fhirhook.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * Issues and checks the signature and claims of access tokens (ES256 JWTs, claims as in Medplum). It does no
 * I/O: whether the Login behind a token still stands is {@link BearerAuthenticator}'s business. Thread-safe.
 */
public final class AccessTokens {
    /** Tolerated clock difference between nodes for {@code exp} and {@code nbf}. */
    static final Duration LEEWAY = Duration.ofSeconds(30);

    private final SigningKeys keys;
    private final Clock clock;

    public AccessTokens(SigningKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /** What a token says about who it was issued to. */
    public record Claims(String loginId, String clientId, String profile, String scope) {}

    /** The result of checking a token; a value because a bad token is an expected outcome. */
    public sealed interface Verification {
        record Valid(Claims claims) implements Verification {}

        /** @param reason why, for logs; never shown to the caller */
        record Invalid(String reason) implements Verification {}
    }

    /** A signed token for {@code claims}, issued now by {@code issuer} (also its audience). */
    public String issue(String issuer, Claims claims, Duration lifetime) {
        Instant now = clock.instant();
        var set = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .audience(issuer)
                .subject(claims.clientId())
                .claim("client_id", claims.clientId())
                .claim("login_id", claims.loginId())
                .claim("profile", claims.profile())
                .claim("scope", claims.scope())
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .build();
        var key = keys.signing();
        var header = new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(JOSEObjectType.JWT).build();
        var jwt = new SignedJWT(header, set);
        try {
            jwt.sign(new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    /**
     * Checks the signature (ES256 only, with an active key named by {@code kid}), the issuer and audience,
     * and {@code exp}/{@code nbf} against the clock with {@link #LEEWAY}.
     */
    public Verification verify(String token, String issuer) {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token); // an unsecured ("alg":"none") or encrypted JWT does not parse as signed
        } catch (ParseException e) {
            return new Verification.Invalid("malformed");
        }
        // the algorithm is fixed, never taken from the token: that is what stops HS256-with-the-public-key tricks
        if (!JWSAlgorithm.ES256.equals(jwt.getHeader().getAlgorithm())) return new Verification.Invalid("algorithm");
        var key = keys.find(jwt.getHeader().getKeyID());
        if (key.isEmpty()) return new Verification.Invalid("unknown kid");
        try {
            if (!jwt.verify(new ECDSAVerifier(key.get()))) return new Verification.Invalid("signature");
        } catch (JOSEException | RuntimeException e) {
            return new Verification.Invalid("signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return new Verification.Invalid("claims");
        }
        if (!issuer.equals(claims.getIssuer())) return new Verification.Invalid("issuer");
        if (claims.getAudience() == null || !claims.getAudience().contains(issuer)) return new Verification.Invalid("audience");
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null || !now.isBefore(exp.toInstant().plus(LEEWAY))) return new Verification.Invalid("expired");
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.isBefore(nbf.toInstant().minus(LEEWAY))) return new Verification.Invalid("not yet valid");
        try {
            String loginId = claims.getStringClaim("login_id");
            String clientId = claims.getStringClaim("client_id");
            if (loginId == null || clientId == null) return new Verification.Invalid("claims");
            return new Verification.Valid(new Claims(loginId, clientId, claims.getStringClaim("profile"),
                    claims.getStringClaim("scope")));
        } catch (ParseException e) {
            return new Verification.Invalid("claims");
        }
    }

    /**
     * The lifetime of a client's tokens: {@code accessTokenLifetime} as {@code ^\d+[smhdwy]$}, otherwise
     * (absent, malformed or beyond what a date can hold) one hour.
     */
    public static Duration lifetime(String value) {
        var fallback = Duration.ofHours(1);
        if (value == null || !value.matches("\\d{1,12}[smhdwy]")) return fallback;
        long amount = Long.parseLong(value.substring(0, value.length() - 1));
        long unitSeconds = switch (value.charAt(value.length() - 1)) {
            case 's' -> 1;
            case 'm' -> 60;
            case 'h' -> 3600;
            case 'd' -> 86_400;
            case 'w' -> 604_800;
            default -> 31_536_000; // 'y': 365 days
        };
        try {
            long seconds = Math.multiplyExact(amount, unitSeconds);
            // a token that outlives any date is not a lifetime but a typo; and 0 would issue dead tokens
            return seconds <= 0 || seconds > 100L * 31_536_000 ? fallback : Duration.ofSeconds(seconds);
        } catch (ArithmeticException e) {
            return fallback;
        }
    }
}
