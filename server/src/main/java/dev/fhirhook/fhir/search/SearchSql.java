package dev.fhirhook.fhir.search;

import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParamType;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a {@link SearchQuery} into one parameterised SQL statement over the resource table and the index
 * tables. Every user value is a bind parameter; only identifiers chosen here appear in the SQL text.
 * Every type a statement reads (the searched one, chain targets, {@code _has} sources) is limited to what the
 * caller's AccessPolicy allows, as SQL conditions, so totals and pages count only allowed resources.
 * Pure: builds text, runs nothing.
 */
final class SearchSql {
    /** SQL text with its arguments in placeholder order. */
    record Statement(String sql, List<Object> args) {}

    /** What the caller may search, per type; null for no policy (the statement is built for the server itself). */
    @FunctionalInterface
    interface Policy {
        TypeAccess of(String type);
    }

    private final StringBuilder sql = new StringBuilder();
    private final List<Object> args = new ArrayList<>();
    private final Scope scope;
    private final Policy policy;
    private final String fhirBase;
    private final Instant now;
    private int aliases;
    /** Rendering an AccessPolicy criteria: not limited again by the policy, and references are read without a base URL. */
    private boolean inPolicy;
    /** Rendering a condition evaluated for one given row at a time (a branch index), never joined from the index side. */
    private boolean perRow;

    private SearchSql(Scope scope, Policy policy, String baseUrl, Instant now) {
        this.scope = scope;
        this.policy = policy;
        this.fhirBase = baseUrl + "fhir/R4/";
        this.now = now;
    }

    /**
     * The page: {@code limit} rows of (content) after {@code offset}, in the query's order; with a second
     * column, the index of the AccessPolicy branch each row satisfies, when the branches hide different fields.
     */
    static Statement page(SearchQuery query, Scope scope, Policy policy, String baseUrl, Instant now, int limit, int offset) {
        var s = new SearchSql(scope, policy, baseUrl, now);
        s.sql.append("select r.content");
        var access = policy.of(query.type());
        if (access.restricted() && !access.uniformFields()) { // SearchEngine reads it when, and only when, this holds
            s.sql.append(", ");
            s.branchIndex("r", access);
        }
        s.sql.append(" from resource r where ");
        s.filter("r", query.type(), query.criteria());
        query.cursor().ifPresent(c -> {
            // the default order is last_updated desc, id asc: continue strictly after the cursor's row
            s.sql.append(" and (r.last_updated < ? or (r.last_updated = ? and r.id > ?))");
            s.args.add(c.lastUpdated());
            s.args.add(c.lastUpdated());
            s.args.add(c.id());
        });
        s.orderBy(query);
        s.sql.append(" limit ? offset ?");
        s.args.add(limit);
        s.args.add(offset);
        return new Statement(s.sql.toString(), s.args);
    }

    static Statement count(SearchQuery query, Scope scope, Policy policy, String baseUrl, Instant now) {
        var s = new SearchSql(scope, policy, baseUrl, now);
        s.sql.append("select count(*) from resource r where ");
        s.filter("r", query.type(), query.criteria());
        return new Statement(s.sql.toString(), s.args);
    }

    /** The ids of the resources of {@code type} matching {@code criteria}, for conditional interactions. */
    static Statement ids(String type, List<SearchQuery.Criterion> criteria, Scope scope, Policy policy, String baseUrl,
            Instant now, int limit) {
        return matching("r.id", "", type, criteria, scope, policy, baseUrl, now, limit);
    }

    /**
     * As {@link #ids}, the matches' {@code columns} (of alias {@code r}), their rows locked {@code FOR UPDATE} until
     * the transaction ends: for a writer that goes on to write the one it finds, without reading it again.
     */
    static Statement rowsForUpdate(String columns, String type, List<SearchQuery.Criterion> criteria, Scope scope,
            Policy policy, String baseUrl, Instant now, int limit) {
        return matching(columns, " for update of r", type, criteria, scope, policy, baseUrl, now, limit);
    }

    private static Statement matching(String columns, String suffix, String type, List<SearchQuery.Criterion> criteria,
            Scope scope, Policy policy, String baseUrl, Instant now, int limit) {
        var s = new SearchSql(scope, policy, baseUrl, now);
        s.sql.append("select ").append(columns).append(" from resource r where ");
        s.filter("r", type, criteria);
        s.sql.append(" order by r.id limit ?").append(suffix);
        s.args.add(limit);
        return new Statement(s.sql.toString(), s.args);
    }

    /**
     * Of the live resources {@code type/ids} in scope, those {@code access} allows: (id, index of the branch
     * each satisfies). For resources reached other than by the search itself ({@code _include}).
     */
    static Statement allowed(TypeAccess access, Scope scope, String[] ids, Instant now) {
        var s = new SearchSql(scope, null, "", now);
        s.sql.append("select r.id, ");
        s.branchIndex("r", access);
        s.sql.append(" from resource r where r.resource_type = ? and r.id = any(?) and not r.deleted");
        s.args.add(access.type());
        s.args.add(ids);
        if (!scope.superAdmin()) {
            s.sql.append(" and r.project_id = ?");
            s.args.add(scope.projectId());
        }
        if (access.rowsLimited()) {
            s.sql.append(" and ");
            s.condition("r", access);
        }
        return new Statement(s.sql.toString(), s.args);
    }

    static TypeAccess.Sql branchIndex(TypeAccess access, String alias, Scope scope, Instant now) {
        var s = new SearchSql(scope, null, "", now);
        s.branchIndex(alias, access);
        return new TypeAccess.Sql(s.sql.toString(), List.copyOf(s.args));
    }

    static TypeAccess.Sql condition(TypeAccess access, String alias, Scope scope, Instant now) {
        var s = new SearchSql(scope, null, "", now);
        s.condition(alias, access);
        return new TypeAccess.Sql(s.sql.toString(), List.copyOf(s.args));
    }

    /** {@code case when <branch 0> then 0 ... else <the unrestricted branch, or -1> end}. */
    private void branchIndex(String alias, TypeAccess access) {
        var branches = access.branches();
        if (!access.restricted()) {
            sql.append("0");
            return;
        }
        boolean outer = perRow;
        perRow = true;
        sql.append("(case");
        int fallback = -1;
        for (int i = 0; i < branches.size(); i++) {
            if (branches.get(i).unrestricted()) {
                fallback = i;
                break;
            }
            sql.append(" when ");
            branch(alias, access.type(), branches.get(i));
            sql.append(" then ").append(i);
        }
        sql.append(" else ").append(fallback).append(" end)");
        perRow = outer;
    }

    /** The row satisfies some branch. */
    private void condition(String alias, TypeAccess access) {
        if (!access.rowsLimited()) {
            sql.append("true");
            return;
        }
        sql.append("(");
        var branches = access.branches();
        for (int i = 0; i < branches.size(); i++) {
            if (i > 0) sql.append(" or ");
            branch(alias, access.type(), branches.get(i));
        }
        sql.append(")");
    }

    /**
     * One branch: its criteria, all of them, and its compartment in {@code meta.compartment}. Written by an
     * admin, so not limited by the caller's policy again; still within the caller's project like any search.
     */
    private void branch(String alias, String type, TypeAccess.Branch branch) {
        boolean outer = inPolicy;
        inPolicy = true;
        sql.append("(true");
        criteria(alias, type, branch.criteria());
        branch.compartment().ifPresent(reference -> {
            sql.append(" and (").append(alias).append(".content::jsonb) -> 'meta' -> 'compartment' @> ?::jsonb");
            args.add(FhirJson.text(FhirJson.mapper().createArrayNode().add(FhirJson.mapper().createObjectNode().put("reference", reference))));
        });
        sql.append(")");
        inPolicy = outer;
    }

    private void filter(String alias, String type, List<SearchQuery.Criterion> criteria) {
        sql.append(alias).append(".resource_type = ? and not ").append(alias).append(".deleted");
        args.add(type);
        if (!scope.superAdmin()) {
            sql.append(" and ").append(alias).append(".project_id = ?");
            args.add(scope.projectId());
        }
        if (policy != null && !inPolicy) {
            var access = policy.of(type);
            if (access.rowsLimited()) {
                sql.append(" and ");
                condition(alias, access);
            }
        }
        criteria(alias, type, criteria);
    }

    /** Each criterion as {@code and <condition>}; {@code type} is {@code alias}'s. */
    private void criteria(String alias, String type, List<SearchQuery.Criterion> criteria) {
        // Plain date criteria on one parameter (date=ge2024-03-04&date=lt2024-03-05) are judged on the same
        // index row and start from one range overlap, which the GiST index answers (see V4).
        var dates = new java.util.LinkedHashMap<String, List<SearchQuery.Match>>();
        for (var criterion : criteria) {
            if (criterion instanceof SearchQuery.Match m && m.param().type() == SearchParamType.DATE && m.modifier() == null) {
                dates.computeIfAbsent(m.param().code(), k -> new ArrayList<>()).add(m);
                continue;
            }
            sql.append(" and ");
            criterion(alias, criterion);
        }
        for (var group : dates.values()) {
            sql.append(" and ");
            dateGroup(alias, type, group);
        }
    }

    /**
     * The search_date_range index's first column (V13): one hash of a row's project, type and parameter, so that the
     * index keeps date ranges apart per project, type and parameter at the cost of a range-only index.
     */
    static final String DATE_SCOPE = "hashtextextended(%1$s.project_id || '|' || %1$s.resource_type || '|' || %1$s.param, 0)";

    /** One EXISTS over search_date: an overlap with the hull every criterion allows, then each criterion exactly. */
    private void dateGroup(String alias, String type, List<SearchQuery.Match> group) {
        Instant lo = DateRange.MIN;
        Instant hi = DateRange.MAX;
        for (var m : group) {
            Instant mLo = null;
            Instant mHi = null;
            for (String raw : m.values()) {
                var range = overlapHull(SearchParser.prefixed(raw).prefix(), SearchParser.dateValue(m.param().code(), raw));
                mLo = mLo == null || range.low().isBefore(mLo) ? range.low() : mLo;
                mHi = mHi == null || range.high().isAfter(mHi) ? range.high() : mHi;
            }
            if (mLo.isAfter(lo)) lo = mLo;
            if (mHi.isBefore(hi)) hi = mHi;
        }
        if (!lo.isBefore(hi)) {
            sql.append("false"); // the criteria exclude each other
            return;
        }
        String x = next("d");
        sql.append("exists (select 1 from search_date ").append(x).append(" where");
        correlateWhere(x, alias);
        String param = group.getFirst().param().code();
        sql.append(" and ").append(x).append(".param = ?");
        args.add(param);
        if (!scope.superAdmin() && !perRow) {
            // the GiST index's first column (V13): PostgreSQL does not derive it from the equalities above
            sql.append(" and ").append(DATE_SCOPE.formatted(x)).append(" = hashtextextended(?, 0)");
            args.add(scope.projectId() + "|" + type + "|" + param);
        }
        sql.append(" and tstzrange(").append(x).append(".low, ").append(x).append(".high, '[)') && tstzrange(?, ?, '[)')");
        args.add(lo);
        args.add(hi);
        for (var m : group) {
            sql.append(" and (");
            for (int i = 0; i < m.values().size(); i++) {
                if (i > 0) sql.append(" or ");
                value(x, m.param(), null, m.values().get(i));
            }
            sql.append(")");
        }
        sql.append(")");
    }

    /** A range every stored range matching {@code prefix} against {@code search} overlaps (the whole line for ne). */
    private DateRange overlapHull(String prefix, DateRange search) {
        return switch (prefix) {
            case "eq" -> search;
            case "gt", "sa" -> new DateRange(search.high(), DateRange.MAX);
            case "ge" -> new DateRange(search.low(), DateRange.MAX);
            case "lt", "eb" -> new DateRange(DateRange.MIN, search.low());
            case "le" -> new DateRange(DateRange.MIN, search.high());
            case "ap" -> {
                var margin = approximateMargin(search);
                yield new DateRange(search.low().minus(margin), search.high().plus(margin));
            }
            default -> new DateRange(DateRange.MIN, DateRange.MAX); // ne
        };
    }

    private void criterion(String alias, SearchQuery.Criterion criterion) {
        switch (criterion) {
            case SearchQuery.Column c -> column(alias, c);
            case SearchQuery.Match m -> match(alias, m);
            case SearchQuery.Chain c -> {
                String x = next("x");
                String t = next("t");
                sql.append("exists (select 1 from search_reference ").append(x).append(" join resource ").append(t)
                        .append(" on ").append(t).append(".resource_type = ").append(x).append(".target_type and ")
                        .append(t).append(".id = ").append(x).append(".target_id");
                correlate(x, alias);
                sql.append(" and ").append(x).append(".param = ? and ");
                args.add(c.reference().code());
                filter(t, c.targetType(), List.of(c.inner()));
                sql.append(")");
            }
            case SearchQuery.Has h -> {
                String x = next("x");
                String src = next("h");
                sql.append("exists (select 1 from search_reference ").append(x).append(" join resource ").append(src)
                        .append(" on ").append(src).append(".resource_type = ").append(x).append(".resource_type and ")
                        .append(src).append(".id = ").append(x).append(".resource_id where ")
                        .append(x).append(".project_id = ").append(alias).append(".project_id and ")
                        .append(x).append(".target_type = ").append(alias).append(".resource_type and ")
                        .append(x).append(".target_id = ").append(alias).append(".id and ")
                        .append(x).append(".param = ? and ");
                args.add(h.reference().code());
                filter(src, h.sourceType(), List.of(h.inner()));
                sql.append(")");
            }
        }
    }

    private void column(String alias, SearchQuery.Column c) {
        if (c.name().equals("_id")) {
            sql.append(alias).append(".id ").append("not".equals(c.modifier()) ? "not in (" : "in (");
            for (int i = 0; i < c.values().size(); i++) {
                sql.append(i == 0 ? "?" : ", ?");
                args.add(SearchParser.unescape(c.values().get(i)));
            }
            sql.append(")");
            return;
        }
        sql.append("(");
        for (int i = 0; i < c.values().size(); i++) {
            if (i > 0) sql.append(" or ");
            var p = SearchParser.prefixed(c.values().get(i));
            var range = SearchParser.dateValue("_lastUpdated", c.values().get(i));
            // A stored instant is the range [t, t + 1 ms).
            dateCondition(alias + ".last_updated", alias + ".last_updated + interval '1 millisecond'", p.prefix(), range);
        }
        sql.append(")");
    }

    private void match(String alias, SearchQuery.Match m) {
        SearchParam param = m.param();
        if (param.type() == SearchParamType.COMPOSITE) {
            composite(alias, m);
            return;
        }
        String table = table(param);
        String paramCode = param.code();
        if ("identifier".equals(m.modifier())) {
            table = "search_token";
            paramCode = param.code() + ":identifier";
        }
        String x = next("i");
        boolean negate = "not".equals(m.modifier())
                || ("missing".equals(m.modifier()) && m.values().getFirst().equals("true"));
        sql.append(negate ? "not exists (select 1 from " : "exists (select 1 from ").append(table).append(' ').append(x);
        sql.append(" where");
        correlateWhere(x, alias);
        sql.append(" and ").append(x).append(".param = ?");
        args.add(paramCode);
        if (!"missing".equals(m.modifier())) {
            sql.append(" and (");
            for (int i = 0; i < m.values().size(); i++) {
                if (i > 0) sql.append(" or ");
                value(x, param, "identifier".equals(m.modifier()) ? "identifier" : m.modifier(), m.values().get(i));
            }
            sql.append(")");
        }
        sql.append(")");
    }

    /**
     * A composite matches when one group (one item of the composite's expression) has every component
     * matching: the component rows are joined on their group number.
     */
    private void composite(String alias, SearchQuery.Match m) {
        var param = m.param();
        if ("missing".equals(m.modifier())) {
            // present = some group has every component
            sql.append(m.values().getFirst().equals("true") ? "not " : "");
            compositeGroup(alias, param, null);
            return;
        }
        sql.append("(");
        for (int v = 0; v < m.values().size(); v++) {
            if (v > 0) sql.append(" or ");
            compositeGroup(alias, param, SearchParser.splitEscaped(m.values().get(v), '$'));
        }
        sql.append(")");
    }

    /** {@code exists} a group with every component of {@code param}, each matching its part when parts are given. */
    private void compositeGroup(String alias, SearchParam param, List<String> parts) {
        int n = param.components().size();
        var names = new String[n];
        for (int i = 0; i < n; i++) names[i] = next("c");
        sql.append("exists (select 1 from ");
        for (int i = 0; i < n; i++) {
            if (i > 0) sql.append(" join ");
            sql.append(table(SearchParser.component(param, i))).append(' ').append(names[i]);
            if (i > 0) {
                sql.append(" on ").append(names[i]).append(".project_id = ").append(names[0]).append(".project_id and ")
                        .append(names[i]).append(".resource_type = ").append(names[0]).append(".resource_type and ")
                        .append(names[i]).append(".resource_id = ").append(names[0]).append(".resource_id and ")
                        .append(names[i]).append(".grp = ").append(names[0]).append(".grp");
            }
        }
        sql.append(" where");
        correlateWhere(names[0], alias);
        for (int i = 0; i < n; i++) {
            var component = SearchParser.component(param, i);
            sql.append(" and ").append(names[i]).append(".param = ?");
            args.add(component.code());
            if (parts != null) {
                sql.append(" and (");
                value(names[i], component, null, parts.get(i));
                sql.append(")");
            }
        }
        sql.append(")");
    }

    private void value(String x, SearchParam param, String modifier, String raw) {
        if ("identifier".equals(modifier)) {
            token(x, raw);
            return;
        }
        switch (param.type()) {
            case TOKEN -> {
                if ("text".equals(modifier)) {
                    sql.append(x).append(".text like ? escape '\\'");
                    args.add(SearchText.likeLiteral(SearchText.normalize(SearchParser.unescape(raw))) + "%");
                } else if ("of-type".equals(modifier)) {
                    var parts = SearchParser.splitEscaped(raw, '|');
                    sql.append("(").append(x).append(".type_system = ? and ").append(x).append(".type_code = ? and ")
                            .append(x).append(".code = ?)");
                    parts.forEach(p -> args.add(SearchText.bound(SearchParser.unescape(p))));
                } else {
                    token(x, raw);
                }
            }
            case STRING -> {
                String v = SearchParser.unescape(raw);
                if ("exact".equals(modifier)) {
                    sql.append(x).append(".exact = ?");
                    args.add(SearchText.bound(v));
                } else {
                    sql.append(x).append(".value like ? escape '\\'");
                    String literal = SearchText.likeLiteral(SearchText.normalize(v));
                    args.add("contains".equals(modifier) ? "%" + literal + "%" : literal + "%");
                }
            }
            case URI -> {
                String v = SearchText.bound(SearchParser.unescape(raw));
                switch (modifier == null ? "" : modifier) {
                    case "below" -> {
                        sql.append(x).append(".value like ? escape '\\'");
                        args.add(SearchText.likeLiteral(v) + "%");
                    }
                    case "above" -> {
                        sql.append("? like (replace(replace(replace(").append(x)
                                .append(".value, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%') escape '\\'");
                        args.add(v);
                    }
                    default -> {
                        sql.append(x).append(".value = ?");
                        args.add(v);
                    }
                }
            }
            case REFERENCE -> reference(x, modifier, SearchParser.unescape(raw));
            case DATE -> {
                var p = SearchParser.prefixed(raw);
                dateCondition(x + ".low", x + ".high", p.prefix(), SearchParser.dateValue(param.code(), raw));
            }
            case NUMBER -> {
                var p = SearchParser.prefixed(raw);
                numberCondition(x + ".value", p.prefix(), p.value());
            }
            case QUANTITY -> {
                var p = SearchParser.prefixed(raw);
                var parts = SearchParser.splitEscaped(p.value(), '|');
                sql.append("(");
                numberCondition(x + ".value", p.prefix(), parts.getFirst());
                if (parts.size() >= 2 && !parts.get(1).isEmpty()) {
                    sql.append(" and ").append(x).append(".system = ?");
                    args.add(SearchParser.unescape(parts.get(1)));
                }
                if (parts.size() == 3 && !parts.get(2).isEmpty()) {
                    sql.append(" and ").append(x).append(".code = ?");
                    args.add(SearchParser.unescape(parts.get(2)));
                }
                sql.append(")");
            }
            case COMPOSITE, SPECIAL -> throw new IllegalStateException("rejected by the parser");
        }
    }

    private void token(String x, String raw) {
        var parts = SearchParser.splitEscaped(raw, '|');
        if (parts.size() == 1) {
            sql.append(x).append(".code = ?");
            args.add(SearchText.bound(SearchParser.unescape(parts.getFirst())));
            return;
        }
        String system = SearchParser.unescape(parts.get(0));
        String code = SearchParser.unescape(parts.get(1));
        if (system.isEmpty()) {
            sql.append("(").append(x).append(".system is null and ").append(x).append(".code = ?)");
            args.add(SearchText.bound(code));
        } else if (code.isEmpty()) {
            sql.append(x).append(".system = ?");
            args.add(SearchText.bound(system));
        } else {
            sql.append("(").append(x).append(".code = ? and ").append(x).append(".system = ?)");
            args.add(SearchText.bound(code));
            args.add(SearchText.bound(system));
        }
    }

    private void reference(String x, String modifier, String value) {
        String typed = modifier != null && Character.isUpperCase(modifier.charAt(0)) ? modifier : null;
        // a policy's criteria reads the same in a search and in a read, which has no request base URL
        String v = !inPolicy && value.startsWith(fhirBase) ? value.substring(fhirBase.length()) : value;
        var target = References.parse(v);
        if (target.isPresent()) {
            sql.append("(").append(x).append(".target_type = ? and ").append(x).append(".target_id = ?)");
            // a :Type modifier that contradicts the value's type matches nothing
            args.add(typed != null && !typed.equals(target.get().type()) ? "" : target.get().type());
            args.add(target.get().id());
        } else if (!v.contains("/") && !v.contains(":")) {
            sql.append("(").append(x).append(".target_id = ?");
            args.add(v);
            if (typed != null) {
                sql.append(" and ").append(x).append(".target_type = ?");
                args.add(typed);
            }
            sql.append(")");
        } else {
            // rows a URL, urn: or canonical can match have no target; saying so lets the planner use the partial
            // index search_reference_url (V12), which leaves out the "Type/id" rows
            sql.append("(").append(x).append(".url = ? and ").append(x).append(".target_id is null)");
            args.add(SearchText.bound(value));
        }
    }

    /** Prefix semantics over ranges [low, high) against the search range [sl, sh). */
    private void dateCondition(String low, String high, String prefix, DateRange search) {
        switch (prefix) {
            case "eq" -> { sql.append("(").append(low).append(" >= ? and ").append(high).append(" <= ?)"); args.add(search.low()); args.add(search.high()); }
            case "ne" -> { sql.append("not (").append(low).append(" >= ? and ").append(high).append(" <= ?)"); args.add(search.low()); args.add(search.high()); }
            case "gt" -> { sql.append(high).append(" > ?"); args.add(search.high()); }
            case "ge" -> { sql.append(high).append(" > ?"); args.add(search.low()); }
            case "lt" -> { sql.append(low).append(" < ?"); args.add(search.low()); }
            case "le" -> { sql.append(low).append(" < ?"); args.add(search.high()); }
            case "sa" -> { sql.append(low).append(" >= ?"); args.add(search.high()); }
            case "eb" -> { sql.append(high).append(" <= ?"); args.add(search.low()); }
            case "ap" -> {
                var margin = approximateMargin(search);
                sql.append("(").append(low).append(" < ? and ").append(high).append(" > ?)");
                args.add(search.high().plus(margin));
                args.add(search.low().minus(margin));
            }
            default -> throw new IllegalStateException("prefix " + prefix);
        }
    }

    /** How far {@code ap} reaches either side of a date: 10% of its distance to now, and at least a day. */
    private Duration approximateMargin(DateRange search) {
        long gap = Math.abs(Duration.between(search.low(), now).toMillis()) / 10;
        return Duration.ofMillis(Math.max(gap, Duration.ofDays(1).toMillis()));
    }

    /** Prefix semantics for numbers; {@code eq} honours the precision written ({@code 100} is [99.5, 100.5)). */
    private void numberCondition(String column, String prefix, String text) {
        BigDecimal v = new BigDecimal(text);
        BigDecimal half = BigDecimal.ONE.movePointLeft(Math.max(v.scale(), 0)).divide(BigDecimal.valueOf(2));
        switch (prefix) {
            case "eq" -> { sql.append("(").append(column).append(" >= ? and ").append(column).append(" < ?)"); args.add(v.subtract(half)); args.add(v.add(half)); }
            case "ne" -> { sql.append("not (").append(column).append(" >= ? and ").append(column).append(" < ?)"); args.add(v.subtract(half)); args.add(v.add(half)); }
            case "gt", "sa" -> { sql.append(column).append(" > ?"); args.add(v); }
            case "lt", "eb" -> { sql.append(column).append(" < ?"); args.add(v); }
            case "ge" -> { sql.append(column).append(" >= ?"); args.add(v); }
            case "le" -> { sql.append(column).append(" <= ?"); args.add(v); }
            case "ap" -> {
                BigDecimal margin = v.abs().divide(BigDecimal.TEN).max(half);
                sql.append("(").append(column).append(" >= ? and ").append(column).append(" <= ?)");
                args.add(v.subtract(margin));
                args.add(v.add(margin));
            }
            default -> throw new IllegalStateException("prefix " + prefix);
        }
    }

    private void orderBy(SearchQuery query) {
        sql.append(" order by ");
        if (query.sort().isEmpty()) {
            sql.append("r.last_updated desc, r.id");
            return;
        }
        for (var key : query.sort()) {
            String dir = key.descending() ? " desc" : " asc";
            switch (key.code()) {
                case "_id" -> sql.append("r.id").append(dir);
                case "_lastUpdated" -> sql.append("r.last_updated").append(dir);
                default -> {
                    String column = switch (key.param().type()) {
                        case STRING, URI, NUMBER, QUANTITY -> "value";
                        case TOKEN -> "code";
                        case DATE -> key.descending() ? "high" : "low";
                        case REFERENCE -> "url";
                        case COMPOSITE, SPECIAL -> throw new IllegalStateException("rejected by the parser");
                    };
                    String x = next("s");
                    sql.append("(select ").append(key.descending() ? "max(" : "min(").append(x).append('.').append(column)
                            .append(") from ").append(table(key.param())).append(' ').append(x).append(" where");
                    correlateWhere(x, "r");
                    sql.append(" and ").append(x).append(".param = ?)").append(dir).append(" nulls last");
                    args.add(key.code());
                }
            }
            sql.append(", ");
        }
        sql.append("r.id");
    }

    private void correlate(String x, String alias) {
        sql.append(" where");
        correlateWhere(x, alias);
    }

    /**
     * Index rows of the row aliased {@code alias}. Type and id identify a resource across projects; the project
     * is repeated so that a search can start from the index side on the lookup indexes, which lead with it. For
     * one given row it is left out: then the only index that fits is the one on (type, id), and even a generic
     * plan reads that row's few index rows instead of every row of the project matching the criteria.
     */
    private void correlateWhere(String x, String alias) {
        sql.append(' ');
        if (!perRow) sql.append(x).append(".project_id = ").append(alias).append(".project_id and ");
        sql.append(x).append(".resource_type = ").append(alias).append(".resource_type and ")
                .append(x).append(".resource_id = ").append(alias).append(".id");
    }

    private String next(String prefix) {
        return prefix + (++aliases);
    }

    static String table(SearchParam param) {
        return switch (param.type()) {
            case TOKEN -> "search_token";
            case STRING -> "search_string";
            case REFERENCE -> "search_reference";
            case DATE -> "search_date";
            case NUMBER -> "search_number";
            case QUANTITY -> "search_quantity";
            case URI -> "search_uri";
            case COMPOSITE, SPECIAL -> throw new IllegalStateException(param.type() + " has no index table");
        };
    }
}
