package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.DateTimeException;
import java.util.Optional;

/** Replay windows: a timestamp must lie within the tolerance of the injected clock, in either direction. */
final class Timestamps {

    private Timestamps() {
    }

    /**
     * Checks a decimal unix-seconds header value. Anything but plain ASCII digits (signs, spaces, fractions) is
     * malformed; a digit string too long for a long is a time far from now, not an error to throw.
     */
    static Optional<Verification.Rejected> checkUnixSeconds(String value, Duration tolerance, Clock clock) {
        if (!allAsciiDigits(value)) {
            return Optional.of(Verification.malformed("timestamp is not unix seconds"));
        }
        if (value.length() > 18) {
            return Optional.of(outside());
        }
        return checkEpochSecond(Long.parseLong(value), tolerance, clock);
    }

    /** Checks an RFC 3339 timestamp such as Twitch's {@code 2019-11-16T10:11:12.634234626Z}. */
    static Optional<Verification.Rejected> checkRfc3339(String value, Duration tolerance, Clock clock) {
        if (value.length() > 64) {
            return Optional.of(Verification.malformed("timestamp is not RFC 3339"));
        }
        try {
            return checkEpochSecond(Instant.parse(value).getEpochSecond(), tolerance, clock);
        } catch (DateTimeException e) {
            return Optional.of(Verification.malformed("timestamp is not RFC 3339"));
        }
    }

    /** Whole seconds on both sides, as the providers' own SDKs compare, so "exactly at the limit" is accepted. */
    static Optional<Verification.Rejected> checkEpochSecond(long epochSecond, Duration tolerance, Clock clock) {
        long now = clock.instant().getEpochSecond();
        // |epochSecond| < 10^18 here and |now| is bounded by Instant's range (~3.2 * 10^16): no overflow.
        long skew = Math.abs(now - epochSecond);
        return skew <= tolerance.toSeconds() ? Optional.empty() : Optional.of(outside());
    }

    private static Verification.Rejected outside() {
        return new Verification.Rejected(Verification.Reason.TIMESTAMP_OUT_OF_TOLERANCE,
                "timestamp is outside the tolerance");
    }

    private static boolean allAsciiDigits(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    static Duration requireTolerance(Duration tolerance) {
        if (tolerance == null || tolerance.isNegative()) {
            throw new IllegalArgumentException("tolerance must be zero or positive");
        }
        return tolerance;
    }
}
