package dev.fhirhook.fhir.search;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The instant range a FHIR date, dateTime or instant covers at its precision: {@code 2024} is the whole
 * year, {@code 2024-05-06T10:00Z} one minute. {@code low} is inclusive, {@code high} exclusive; a time
 * without an offset is taken as UTC. Pure.
 */
public record DateRange(Instant low, Instant high) {
    public static final Instant MIN = Instant.parse("-4712-01-01T00:00:00Z");
    public static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999Z");

    private static final Pattern DATE_TIME = Pattern.compile(
            "(\\d{4})(-(\\d{2})(-(\\d{2})(T(\\d{2}):(\\d{2})(:(\\d{2})(\\.(\\d{1,9}))?)?(Z|[+-]\\d{2}:\\d{2})?)?)?)?");

    public static Optional<DateRange> parse(String text) {
        if (text == null || text.length() > 40) return Optional.empty();
        var m = DATE_TIME.matcher(text);
        if (!m.matches()) return Optional.empty();
        try {
            int year = Integer.parseInt(m.group(1));
            if (m.group(3) == null) {
                var start = LocalDate.of(year, 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC);
                return Optional.of(new DateRange(start, LocalDate.of(year + 1, 1, 1).atStartOfDay().toInstant(ZoneOffset.UTC)));
            }
            int month = Integer.parseInt(m.group(3));
            if (m.group(5) == null) {
                var ym = YearMonth.of(year, month);
                return Optional.of(new DateRange(ym.atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC),
                        ym.plusMonths(1).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC)));
            }
            var day = LocalDate.of(year, month, Integer.parseInt(m.group(5)));
            if (m.group(6) == null) {
                return Optional.of(new DateRange(day.atStartOfDay().toInstant(ZoneOffset.UTC),
                        day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC)));
            }
            var offset = m.group(13) == null || m.group(13).equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(m.group(13));
            int second = m.group(10) == null ? 0 : Integer.parseInt(m.group(10));
            int nanos = m.group(12) == null ? 0 : Integer.parseInt((m.group(12) + "000000000").substring(0, 9));
            var local = LocalDateTime.of(day.getYear(), day.getMonth(), day.getDayOfMonth(),
                    Integer.parseInt(m.group(7)), Integer.parseInt(m.group(8)), second, nanos);
            Instant start = OffsetDateTime.of(local, offset).toInstant();
            ChronoUnit unit = m.group(10) == null ? ChronoUnit.MINUTES
                    : m.group(12) == null ? ChronoUnit.SECONDS : ChronoUnit.MILLIS;
            return Optional.of(new DateRange(start, start.plus(1, unit)));
        } catch (java.time.DateTimeException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
