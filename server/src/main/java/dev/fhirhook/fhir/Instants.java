package dev.fhirhook.fhir;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** FHIR {@code instant} text in the form Medplum writes: UTC with milliseconds, {@code 2026-01-02T03:04:05.678Z}. */
public final class Instants {
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Instants() {}

    public static String format(Instant instant) {
        return FORMAT.format(instant);
    }

    /** Parses a full date-time with offset (an {@code instant}); empty when it is not one. */
    public static Optional<Instant> parse(String text) {
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
