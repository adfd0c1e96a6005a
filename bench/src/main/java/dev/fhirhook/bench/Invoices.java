package dev.fhirhook.bench;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The Invoices of the search benchmark, a pure function of their number n: identifier {@code in_<n>}
 * (system https://stripe.com/invoice/id), a {@code date} spread pseudo-randomly over 2021-2024 (not in
 * load order), one of four statuses in turn, one of 10,000 subjects and a totalNet.
 */
final class Invoices {
    private Invoices() {}

    static final String SYSTEM = "https://stripe.com/invoice/id";
    static final String[] STATUSES = {"draft", "issued", "balanced", "cancelled"};
    static final Instant EPOCH = Instant.parse("2021-01-01T00:00:00Z");
    static final long SPAN_SECONDS = 1461L * 86400; // 2021-01-01 .. 2024-12-31
    static final LocalDate FIRST_DAY = LocalDate.of(2021, 1, 1);
    static final int DAYS = 1461;
    private static final DateTimeFormatter SECONDS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    static String identifier(long n) {
        return "in_" + n;
    }

    static String status(long n) {
        return STATUSES[(int) (n % 4)];
    }

    /** Seconds after 2021-01-01; a multiplicative hash, so dates do not follow the load order. */
    static long dateOffset(long n) {
        return (n * 2654435761L) % SPAN_SECONDS;
    }

    static String date(long n) {
        return SECONDS.format(EPOCH.plusSeconds(dateOffset(n)));
    }

    static String subject(long n) {
        return "Patient/bench-patient-" + (n % 10_000);
    }

    static String total(long n) {
        return (n % 100_000) + ".5";
    }

    static String json(long n) {
        return "{\"resourceType\":\"Invoice\",\"identifier\":[{\"system\":\"" + SYSTEM + "\",\"value\":\"" + identifier(n)
                + "\"}],\"status\":\"" + status(n) + "\",\"subject\":{\"reference\":\"" + subject(n) + "\"},\"date\":\""
                + date(n) + "\",\"totalNet\":{\"value\":" + total(n) + ",\"currency\":\"EUR\"}}";
    }

    /** A transaction Bundle creating Invoices [from, to). */
    static byte[] transaction(long from, long to) {
        var sb = new StringBuilder((int) (to - from) * 340 + 64);
        sb.append("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
        for (long n = from; n < to; n++) {
            if (n > from) sb.append(',');
            sb.append("{\"resource\":").append(json(n)).append(",\"request\":{\"method\":\"POST\",\"url\":\"Invoice\"}}");
        }
        sb.append("]}");
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
