package dev.fhirhook.fhir.search;

import dev.fhirhook.fhir.definitions.SearchParam;
import java.util.List;

/**
 * A parsed, validated search: the criteria (all must hold; each criterion's values are alternatives), the
 * sort, paging and result shaping. Built by {@link SearchParser}; turned into SQL by {@link SearchSql}.
 */
public record SearchQuery(
        String type,
        List<Criterion> criteria,
        List<SortKey> sort,
        int count,
        int offset,
        java.util.Optional<Cursor> cursor,
        Total total,
        Summary summary,
        List<String> elements,
        List<Include> includes,
        List<Include> revIncludes,
        List<String> ignored) {

    public static final int DEFAULT_COUNT = 20;
    public static final int MAX_COUNT = 1000;

    public enum Total { NONE, ACCURATE }

    /**
     * Where a page starts in the default order (newest first, then id): after the resource last updated at
     * {@code lastUpdated} with {@code id}. Unlike an offset it does not shift when resources are added or
     * changed between pages, so following next links never skips or repeats a resource that stayed put.
     */
    public record Cursor(java.time.Instant lastUpdated, String id) {
        public String encode() {
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (lastUpdated.toEpochMilli() + "|" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        static java.util.Optional<Cursor> decode(String text) {
            try {
                String plain = new String(java.util.Base64.getUrlDecoder().decode(text), java.nio.charset.StandardCharsets.UTF_8);
                int bar = plain.indexOf('|');
                if (bar <= 0) return java.util.Optional.empty();
                String id = plain.substring(bar + 1);
                if (!dev.fhirhook.fhir.ResourceStore.ID.matcher(id).matches()) return java.util.Optional.empty();
                return java.util.Optional.of(new Cursor(java.time.Instant.ofEpochMilli(Long.parseLong(plain.substring(0, bar))), id));
            } catch (IllegalArgumentException | java.time.DateTimeException e) {
                return java.util.Optional.empty();
            }
        }
    }

    public enum Summary { NONE, COUNT, TRUE, DATA }

    /** One condition on the resources searched. */
    public sealed interface Criterion {}

    /**
     * {@code param[:modifier]=v1,v2}: true when any value matches.
     *
     * @param modifier the modifier without its colon, or null
     */
    public record Match(SearchParam param, String modifier, List<String> values) implements Criterion {}

    /** {@code ref[:Type].inner=...}: the reference points to a resource of {@code targetType} matching {@code inner}. */
    public record Chain(SearchParam reference, String targetType, Criterion inner) implements Criterion {}

    /** {@code _has:Source:ref:inner=...}: some {@code sourceType} resource refers here through {@code reference} and matches. */
    public record Has(String sourceType, SearchParam reference, Criterion inner) implements Criterion {}

    /** {@code _id} or {@code _lastUpdated}, served from the resource table. */
    public record Column(String name, String modifier, List<String> values) implements Criterion {}

    public record SortKey(String code, SearchParam param, boolean descending) {}

    /** {@code _include=Source:param[:Target]} or {@code _revinclude=...}; {@code iterate} follows one more level. */
    public record Include(String sourceType, SearchParam param, String targetType, boolean iterate) {}
}
