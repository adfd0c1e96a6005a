package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.policy.EffectivePolicy;
import dev.fhirhook.policy.Interaction;
import dev.fhirhook.policy.PolicyDocument;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a scope's AccessPolicy decision for one type and interaction into a {@link TypeAccess} whose criteria
 * the search SQL can apply, and checks AccessPolicies before they are stored. Criteria are parsed with the
 * search parser once per distinct text and cached. A criteria the parser refuses (a policy stored before
 * this check, or by a super admin) denies every request its entry would decide. Thread-safe.
 */
public final class PolicyCriteria {
    private static final Logger log = LoggerFactory.getLogger(PolicyCriteria.class);
    static final int MAX_CACHED = 10_000;

    /** A criteria text, parsed: its criteria, or why it cannot be enforced. */
    private sealed interface Compiled {
        record Parsed(List<SearchQuery.Criterion> criteria) implements Compiled {}

        record Refused(String reason) implements Compiled {}
    }

    private final SearchParser parser;
    private final ResourceTypes types;
    private final ConcurrentHashMap<String, Compiled> compiled = new ConcurrentHashMap<>();

    public PolicyCriteria(SearchParser parser, ResourceTypes types) {
        this.parser = parser;
        this.types = types;
    }

    /** What {@code scope} may do with {@code type} for {@code interaction}; 403 {@code forbidden} when nothing. */
    public TypeAccess require(Scope scope, String type, Interaction interaction) {
        return find(scope, type, interaction).orElseThrow(() -> ApiException.forbidden("policy.forbidden", "Forbidden"));
    }

    /** As {@link #require}, but empty instead of 403 (included resources of a type the caller cannot see are left out). */
    public Optional<TypeAccess> find(Scope scope, String type, Interaction interaction) {
        var decision = scope.policy().decide(type, interaction);
        return switch (decision) {
            case EffectivePolicy.Decision.Denied denied -> {
                log.info("access policy denied {} on {} to {} in project {}: {}", interaction.code(), type, scope.author(),
                        scope.projectId(), denied.reason());
                yield Optional.empty();
            }
            case EffectivePolicy.Decision.Allowed allowed -> compile(scope, type, interaction, allowed);
        };
    }

    private Optional<TypeAccess> compile(Scope scope, String type, Interaction interaction, EffectivePolicy.Decision.Allowed allowed) {
        if (allowed.unrestricted()) return Optional.of(TypeAccess.unrestricted(type, allowed.candidates().getFirst()));
        var branches = new ArrayList<TypeAccess.Branch>(allowed.candidates().size());
        for (var candidate : allowed.candidates()) {
            List<SearchQuery.Criterion> criteria = List.of();
            if (candidate.rule().criteria().isPresent()) {
                switch (compiled(type, candidate.rule().criteria().get())) {
                    case Compiled.Parsed parsed -> criteria = parsed.criteria();
                    case Compiled.Refused refused -> {
                        log.info("access policy denied {} on {} to {} in project {}: criteria cannot be enforced: {}",
                                interaction.code(), type, scope.author(), scope.projectId(), refused.reason());
                        return Optional.empty();
                    }
                }
            }
            branches.add(new TypeAccess.Branch(candidate, criteria, candidate.rule().compartment()));
        }
        return Optional.of(new TypeAccess(type, branches));
    }

    private Compiled compiled(String type, String criteria) {
        var found = compiled.get(criteria);
        if (found != null) return found;
        Compiled result;
        try {
            result = new Compiled.Parsed(parse(type, criteria.substring(type.length() + 1)));
        } catch (ApiException e) {
            result = new Compiled.Refused(e.text());
        }
        if (compiled.size() >= MAX_CACHED) compiled.clear();
        compiled.put(criteria, result);
        return result;
    }

    /** The criteria of a search string (after {@code Type?}); 400 when it is not a search of criteria only. */
    private List<SearchQuery.Criterion> parse(String type, String query) {
        var params = QueryString.parse(query);
        if (params.isEmpty()) throw ApiException.badRequest("policy.invalid-criteria", "has no search parameter");
        if (!SearchParser.onlyCriteria(params.keySet())) {
            throw ApiException.badRequest("policy.invalid-criteria", "may contain only search parameters, not _count, _sort or _include");
        }
        return parser.parse(type, params, false).criteria();
    }

    /**
     * 400 naming the field (such as {@code resource[1].criteria}) when a submitted AccessPolicy is not one this
     * server can enforce. Super admins may store any policy (such a policy then denies what it cannot decide).
     */
    public void validate(Scope scope, JsonNode accessPolicy) {
        if (scope.superAdmin()) return;
        var problems = PolicyDocument.problems(accessPolicy, types::known, (type, query) -> {
            try {
                parse(type, query);
                return Optional.empty();
            } catch (ApiException e) {
                return Optional.of(e.text());
            }
        });
        if (problems.isEmpty()) return;
        var first = problems.getFirst();
        throw ApiException.badRequest("policy.invalid-access-policy", "Invalid AccessPolicy " + first.field() + ": " + first.message())
                .at(first.field());
    }
}
