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
        Total total,
        Summary summary,
        List<String> elements,
        List<Include> includes,
        List<Include> revIncludes,
        List<String> ignored) {

    public static final int DEFAULT_COUNT = 20;
    public static final int MAX_COUNT = 1000;

    public enum Total { NONE, ACCURATE }

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
