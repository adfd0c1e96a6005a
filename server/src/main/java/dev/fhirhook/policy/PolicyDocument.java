package dev.fhirhook.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * An AccessPolicy resource as written: its {@code resource[]} entries read into {@link PolicyRule}s, and the
 * problems that keep a submitted one from being stored. Medplum ignores a {@code criteria} that does not
 * start with {@code <Type>?} (so the entry allows everything); fhirhook refuses such a policy on write and
 * treats a stored one as deny. Pure and thread-safe.
 */
public final class PolicyDocument {
    /** {@code %name} or {@code %name.id}: a parameter substituted when a membership's policy is built. */
    static final Pattern PARAMETER = Pattern.compile("%[A-Za-z][A-Za-z0-9_-]*(?:\\.id)?");
    /**
     * Stands in for a parameter while a submitted criteria is checked: the real value is known only per
     * membership. A year parses as every search value type (token, string, reference id, date, number, uri).
     */
    static final String PARAMETER_STAND_IN = "2000";

    /** What is wrong, and where: {@code field} such as {@code resource[1].criteria}. */
    public record Problem(String field, String message) {}

    /** Checks a criteria's search part with the server's search parser. */
    @FunctionalInterface
    public interface CriteriaCheck {
        /** Empty when {@code query} (after {@code Type?}) is a search of {@code type} the server can run; else why not. */
        Optional<String> problem(String type, String query);
    }

    private PolicyDocument() {}

    /** The entries of a stored policy, in order; an entry that cannot be enforced is kept as an invalid rule. */
    public static List<PolicyRule> rules(JsonNode policy) {
        var rules = new ArrayList<PolicyRule>();
        JsonNode resources = policy.path("resource");
        if (resources.isMissingNode()) return rules;
        if (!resources.isArray()) {
            rules.add(PolicyRule.invalid(null, "resource is not an array"));
            return rules;
        }
        for (int i = 0; i < resources.size(); i++) {
            var problems = new ArrayList<Problem>();
            var rule = entry(resources.get(i), "resource[" + i + "]", problems);
            rules.add(problems.isEmpty() ? rule : PolicyRule.invalid(rule.resourceType(), problems.getFirst().message()));
        }
        return rules;
    }

    /**
     * Everything that keeps {@code policy} from being stored, in document order: entries as in
     * {@link #rules}, plus unknown resource types, criteria the search parser refuses and IP rules that do not
     * parse. Empty when the policy can be stored.
     */
    public static List<Problem> problems(JsonNode policy, Predicate<String> knownType, CriteriaCheck check) {
        var problems = new ArrayList<Problem>();
        JsonNode resources = policy.path("resource");
        if (!resources.isMissingNode() && !resources.isArray()) {
            problems.add(new Problem("resource", "must be an array"));
        } else {
            for (int i = 0; i < resources.size(); i++) {
                String where = "resource[" + i + "]";
                int before = problems.size();
                var rule = entry(resources.get(i), where, problems);
                if (problems.size() > before) continue;
                if (!rule.resourceType().equals("*") && !knownType.test(rule.resourceType())) {
                    problems.add(new Problem(where + ".resourceType", "unknown resource type"));
                    continue;
                }
                rule.criteria().ifPresent(criteria -> {
                    String query = PARAMETER.matcher(criteria.substring(rule.resourceType().length() + 1))
                            .replaceAll(PARAMETER_STAND_IN);
                    check.problem(rule.resourceType(), query).ifPresent(why -> problems.add(new Problem(where + ".criteria", why)));
                });
            }
        }
        JsonNode ipRules = policy.path("ipAccessRule");
        if (!ipRules.isMissingNode() && !ipRules.isArray()) {
            problems.add(new Problem("ipAccessRule", "must be an array"));
        } else {
            for (int i = 0; i < ipRules.size(); i++) {
                JsonNode rule = ipRules.get(i);
                String where = "ipAccessRule[" + i + "]";
                String action = rule.path("action").isTextual() ? rule.path("action").asText() : null;
                String value = rule.path("value").isTextual() ? rule.path("value").asText() : null;
                if (!"allow".equals(action) && !"block".equals(action)) {
                    problems.add(new Problem(where + ".action", "must be allow or block"));
                } else if (IpRules.parse(null, value, action) instanceof IpRules.Parsed.Invalid invalid) {
                    problems.add(new Problem(where + ".value", invalid.reason()));
                }
            }
        }
        JsonNode compartment = policy.path("compartment");
        if (!compartment.isMissingNode() && !compartment.path("reference").isTextual()) {
            problems.add(new Problem("compartment", "must be a reference"));
        }
        return problems;
    }

    /** Reads one entry; what is wrong with it goes to {@code problems}, and the rule returned is then partial. */
    private static PolicyRule entry(JsonNode entry, String where, List<Problem> problems) {
        if (!entry.isObject()) {
            problems.add(new Problem(where, "must be an object"));
            return PolicyRule.invalid(null, "not an object");
        }
        JsonNode typeNode = entry.path("resourceType");
        if (!typeNode.isTextual() || typeNode.asText().isEmpty()) {
            problems.add(new Problem(where + ".resourceType", "is required"));
            return PolicyRule.invalid(null, "no resourceType");
        }
        String type = typeNode.asText();

        JsonNode readonly = entry.path("readonly");
        if (!readonly.isMissingNode() && !readonly.isBoolean()) problems.add(new Problem(where + ".readonly", "must be true or false"));
        var interactions = readonly.asBoolean(false) ? EnumSet.copyOf(Interaction.READ_ONLY) : EnumSet.allOf(Interaction.class);
        JsonNode listed = entry.path("interaction");
        if (!listed.isMissingNode()) {
            // as in Medplum, a listed set wins over readonly
            interactions = EnumSet.noneOf(Interaction.class);
            if (!listed.isArray()) problems.add(new Problem(where + ".interaction", "must be an array"));
            for (int j = 0; j < listed.size(); j++) {
                var interaction = listed.get(j).isTextual() ? Interaction.of(listed.get(j).asText()) : Optional.<Interaction>empty();
                if (interaction.isEmpty()) {
                    problems.add(new Problem(where + ".interaction[" + j + "]",
                            "must be one of create, read, vread, update, delete, history, search"));
                } else {
                    interactions.add(interaction.get());
                }
            }
        }

        Optional<String> criteria = Optional.empty();
        JsonNode criteriaNode = entry.path("criteria");
        if (!criteriaNode.isMissingNode()) {
            String text = criteriaNode.isTextual() ? criteriaNode.asText() : "";
            if (type.equals("*")) {
                problems.add(new Problem(where + ".criteria", "needs a resourceType other than *"));
            } else if (!text.startsWith(type + "?")) {
                problems.add(new Problem(where + ".criteria", "must start with \"" + type + "?\""));
            } else if (text.length() == type.length() + 1) {
                problems.add(new Problem(where + ".criteria", "has no search parameter; leave criteria out to allow every " + type));
            } else {
                criteria = Optional.of(text);
            }
        }

        Optional<String> compartment = Optional.empty();
        JsonNode compartmentNode = entry.path("compartment");
        if (!compartmentNode.isMissingNode()) {
            JsonNode reference = compartmentNode.path("reference");
            if (reference.isTextual() && !reference.asText().isEmpty()) {
                compartment = Optional.of(reference.asText());
            } else {
                problems.add(new Problem(where + ".compartment", "must be a reference"));
            }
        }
        if (entry.has("writeConstraint")) {
            // constraints we cannot evaluate would silently allow what they were written to stop
            problems.add(new Problem(where + ".writeConstraint", "is not supported by this server"));
        }
        var hidden = fields(entry.path("hiddenFields"), where + ".hiddenFields", problems);
        var readonlyFields = fields(entry.path("readonlyFields"), where + ".readonlyFields", problems);
        return new PolicyRule(type, interactions, criteria, compartment, hidden, readonlyFields, Optional.empty());
    }

    private static List<FieldPath> fields(JsonNode node, String where, List<Problem> problems) {
        var out = new ArrayList<FieldPath>();
        if (node.isMissingNode()) return out;
        if (!node.isArray()) {
            problems.add(new Problem(where, "must be an array"));
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            var path = node.get(i).isTextual() ? FieldPath.parse(node.get(i).asText()) : Optional.<FieldPath>empty();
            if (path.isEmpty()) {
                problems.add(new Problem(where + "[" + i + "]", "must be a dotted field path such as name.family (not id or resourceType)"));
            } else {
                out.add(path.get());
            }
        }
        return out;
    }
}
