package dev.fhirhook.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a membership may do: the union of its AccessPolicies ({@code accessPolicy}, then each
 * {@code access[].policy} with its parameters), with Medplum's admin rules applied, and the decision for one
 * resource type and interaction. Built once per membership version and cached by {@link MembershipPolicies};
 * pure, immutable and thread-safe.
 *
 * <p>A decision lists the <em>candidate</em> entries for the type and interaction in policy order, up to and
 * including the first one without criteria or compartment (which every resource satisfies). A resource is
 * allowed when it satisfies some candidate, and the first it satisfies supplies the hidden and read-only
 * fields; the store turns the candidates' criteria into SQL.
 */
public final class EffectivePolicy {
    /** Types only the super admin reaches; {@code *} never covers them and no policy can list them. */
    public static final Set<String> SUPER_ADMIN_TYPES = Set.of("JsonWebKey", "Login", "DomainConfiguration");
    /** Medplum's project-admin types: {@code *} never covers them, and a non-admin gets none even if listed. */
    public static final Set<String> PROJECT_ADMIN_TYPES = Set.of("Project", "ProjectMembership", "User", "UserSecurityRequest",
            "PasswordChangeRequest", "Package", "PackageRelease", "PackageInstallation");
    /** Added read-only to every policy that does not name them, as Medplum does. */
    static final List<String> DEFAULT_READ_ONLY = List.of("SearchParameter", "StructureDefinition");
    /** Hidden from everyone but project admins, whatever a policy says: they are credentials. */
    static final List<FieldPath> CLIENT_SECRETS = List.of(FieldPath.parse("secret").orElseThrow(),
            FieldPath.parse("retiringSecret").orElseThrow());

    /** Everything, with nothing hidden: the server itself and super admins. */
    public static final EffectivePolicy UNRESTRICTED = new EffectivePolicy(List.of(PolicyRule.all("*")), false, true, null);

    /** An entry that may decide a request, with the fields it hides and protects for the request's type. */
    public record Candidate(PolicyRule rule, List<FieldPath> hidden, List<FieldPath> readonly) {
        public Candidate {
            hidden = List.copyOf(hidden);
            readonly = List.copyOf(readonly);
        }

        /** Removed on create and restored from the stored version on update. */
        public List<FieldPath> protectedOnWrite() {
            if (readonly.isEmpty()) return hidden;
            if (hidden.isEmpty()) return readonly;
            var all = new ArrayList<>(readonly);
            all.addAll(hidden);
            return all;
        }
    }

    /** The answer for one type and interaction. */
    public sealed interface Decision {
        /** @param reason for logs, never shown to the caller */
        record Denied(String reason) implements Decision {}

        /** @param candidates never empty; only the last may be unrestricted */
        record Allowed(List<Candidate> candidates) implements Decision {
            public Allowed {
                candidates = List.copyOf(candidates);
            }

            /** The first candidate has no criteria or compartment: every resource of the type is allowed by it. */
            public boolean unrestricted() {
                return !candidates.getFirst().rule().restricted();
            }
        }
    }

    /** A membership's parameters and role, which decide how its policies are read. */
    public record Member(String profile, boolean admin) {}

    /** One policy as loaded, with the parameters its {@code access[]} entry gives ({@code accessPolicy} has none). */
    public record Source(JsonNode policy, List<Parameter> parameters) {
        public Source {
            parameters = List.copyOf(parameters);
        }
    }

    /** {@code access[].parameter[]}: a {@code valueString} or a {@code valueReference} (reference text). */
    public record Parameter(String name, Optional<String> valueString, Optional<String> valueReference) {}

    private final List<PolicyRule> rules;
    private final boolean hideClientSecrets;
    private final boolean unrestricted;
    private final String unloadable;
    private final Map<String, Decision> decisions = new ConcurrentHashMap<>();

    private EffectivePolicy(List<PolicyRule> rules, boolean hideClientSecrets, boolean unrestricted, String unloadable) {
        this.rules = List.copyOf(rules);
        this.hideClientSecrets = hideClientSecrets;
        this.unrestricted = unrestricted;
        this.unloadable = unloadable;
    }

    /**
     * A membership one of whose policies cannot be loaded (missing, deleted, in another project): it may do
     * nothing, and authenticating as it answers Medplum's {@code Cannot authenticate} error.
     */
    public static EffectivePolicy unloadable(String reason) {
        return new EffectivePolicy(List.of(), true, false, reason);
    }

    /**
     * The effective policy of a membership with these policies (none: Medplum's legacy full access, {@code *}).
     * Parameters are substituted inside string values only, never across JSON syntax: Medplum replaces them in
     * the serialized text, where a value containing a quote could rewrite the policy.
     */
    public static EffectivePolicy of(Member member, List<Source> sources) {
        var rules = new ArrayList<PolicyRule>();
        if (sources.isEmpty()) rules.add(PolicyRule.all("*"));
        for (var source : sources) rules.addAll(PolicyDocument.rules(substitute(source, member)));
        for (String type : DEFAULT_READ_ONLY) {
            if (rules.stream().noneMatch(r -> type.equals(r.resourceType()))) rules.add(PolicyRule.readOnly(type));
        }
        // a policy never grants the admin types itself: admins get the fixed set below, everyone else none
        rules.removeIf(r -> r.resourceType() != null && (PROJECT_ADMIN_TYPES.contains(r.resourceType())
                || SUPER_ADMIN_TYPES.contains(r.resourceType())));
        if (member.admin()) rules.addAll(adminRules());
        return new EffectivePolicy(rules, !member.admin(), false, null);
    }

    /**
     * Medplum's fixed set for {@code ProjectMembership.admin}, within the admin's own project (the store keeps
     * every request there): the Project without delete, with server-wide settings read-only and secrets
     * hidden; memberships with their project and user read-only; users with credentials hidden; and the
     * project's own configuration types, whatever the policy lists.
     */
    private static List<PolicyRule> adminRules() {
        var projectInteractions = new LinkedHashSet<>(Interaction.ALL);
        projectInteractions.remove(Interaction.DELETE);
        return List.of(
                new PolicyRule("Project", projectInteractions, Optional.empty(), Optional.empty(),
                        paths("superAdmin", "systemSecret", "strictMode"), paths("features", "link", "systemSetting"), Optional.empty()),
                PolicyRule.all("ProjectMembership").withFields(List.of(), paths("project", "user")),
                PolicyRule.all("User").withFields(paths("passwordHash", "mfaSecret"), paths("email", "emailVerified", "mfaEnrolled", "project")),
                PolicyRule.readOnly("UserSecurityRequest"),
                PolicyRule.readOnly("PasswordChangeRequest"),
                PolicyRule.readOnly("Package"),
                PolicyRule.readOnly("PackageRelease"),
                PolicyRule.readOnly("PackageInstallation"),
                PolicyRule.all("ClientApplication"),
                PolicyRule.all("AccessPolicy"),
                PolicyRule.all("Bot"));
    }

    private static List<FieldPath> paths(String... names) {
        var out = new ArrayList<FieldPath>();
        for (String name : names) out.add(FieldPath.parse(name).orElseThrow());
        return out;
    }

    /** Medplum's order: the entry's own parameters, then {@code profile}, then {@code patient} unless given. */
    static JsonNode substitute(Source source, Member member) {
        var parameters = new ArrayList<>(source.parameters());
        parameters.add(new Parameter("profile", Optional.empty(), Optional.of(member.profile())));
        if (parameters.stream().noneMatch(p -> p.name().equals("patient"))) {
            parameters.add(new Parameter("patient", Optional.empty(), Optional.of(member.profile())));
        }
        JsonNode copy = source.policy().deepCopy();
        replaceIn(copy, parameters);
        return copy;
    }

    private static void replaceIn(JsonNode node, List<Parameter> parameters) {
        if (node instanceof ObjectNode object) {
            for (var field : object.properties()) {
                if (field.getValue().isTextual()) field.setValue(TextNode.valueOf(replace(field.getValue().asText(), parameters)));
                else replaceIn(field.getValue(), parameters);
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isTextual()) array.set(i, TextNode.valueOf(replace(array.get(i).asText(), parameters)));
                else replaceIn(array.get(i), parameters);
            }
        }
    }

    private static String replace(String text, List<Parameter> parameters) {
        if (text.indexOf('%') < 0) return text;
        for (var p : parameters) {
            if (p.valueString().isPresent()) {
                text = text.replace("%" + p.name(), p.valueString().get());
            } else if (p.valueReference().isPresent()) {
                String reference = p.valueReference().get();
                text = text.replace("%" + p.name() + ".id", reference.substring(reference.lastIndexOf('/') + 1));
                text = text.replace("%" + p.name(), reference);
            }
        }
        return text;
    }

    /** False when one of the membership's policies could not be loaded. */
    public boolean loadable() {
        return unloadable == null;
    }

    /** Why the policy could not be loaded, for logs; empty when it was. */
    public Optional<String> unloadableReason() {
        return Optional.ofNullable(unloadable);
    }

    /** Whether requests of {@code interaction} on {@code type} are allowed, and by which entries. */
    public Decision decide(String type, Interaction interaction) {
        if (unrestricted) return decisions.computeIfAbsent(type, t -> new Decision.Allowed(List.of(candidate(rules.getFirst(), t))));
        return decisions.computeIfAbsent(type + '\u0000' + interaction.ordinal(), k -> compute(type, interaction));
    }

    private Decision compute(String type, Interaction interaction) {
        if (unloadable != null) return new Decision.Denied("access policy cannot be loaded: " + unloadable);
        if (SUPER_ADMIN_TYPES.contains(type)) return new Decision.Denied(type + " is for super admins only");
        var candidates = new ArrayList<Candidate>();
        for (var rule : rules) {
            if (!covers(rule, type, interaction)) continue;
            if (rule.invalid().isPresent()) {
                return new Decision.Denied("access policy entry for " + (rule.resourceType() == null ? "any type" : rule.resourceType())
                        + " cannot be enforced: " + rule.invalid().get());
            }
            candidates.add(candidate(rule, type));
            if (!rule.restricted()) break;
        }
        if (candidates.isEmpty()) return new Decision.Denied("no access policy entry allows " + interaction.code() + " on " + type);
        return new Decision.Allowed(withHiddenOfOtherInteractions(candidates, type, interaction));
    }

    /**
     * An entry that covers every resource of the type hides its fields from every answer, whatever interaction it
     * lists: with one entry for read that hides {@code birthDate} and another for search that hides nothing, a
     * search would otherwise show, and be able to filter by, what a read hides. (Entries under criteria or a
     * compartment hide only from the resources they cover, which another interaction's answer cannot tell.)
     */
    private List<Candidate> withHiddenOfOtherInteractions(List<Candidate> candidates, String type, Interaction interaction) {
        var extra = new LinkedHashSet<FieldPath>();
        for (var rule : rules) {
            if (rule.restricted() || rule.invalid().isPresent() || rule.interactions().contains(interaction)) continue;
            if (names(rule, type)) extra.addAll(rule.hiddenFields());
        }
        if (extra.isEmpty()) return candidates;
        var out = new ArrayList<Candidate>(candidates.size());
        for (var candidate : candidates) {
            var hidden = new LinkedHashSet<>(candidate.hidden());
            hidden.addAll(extra);
            out.add(new Candidate(candidate.rule(), List.copyOf(hidden), candidate.readonly()));
        }
        return out;
    }

    /** The entry is for {@code type}, by name or by {@code *} (which never names a project-admin type). */
    private static boolean names(PolicyRule rule, String type) {
        return rule.resourceType() != null && (rule.resourceType().equals(type)
                || (rule.resourceType().equals("*") && !PROJECT_ADMIN_TYPES.contains(type)));
    }

    private static boolean covers(PolicyRule rule, String type, Interaction interaction) {
        if (rule.resourceType() == null) return true; // unreadable type: it might have been meant for this one
        return rule.interactions().contains(interaction) && names(rule, type);
    }

    private Candidate candidate(PolicyRule rule, String type) {
        if (hideClientSecrets && type.equals("ClientApplication")) {
            var hidden = new ArrayList<>(rule.hiddenFields());
            for (var secret : CLIENT_SECRETS) if (!hidden.contains(secret)) hidden.add(secret);
            return new Candidate(rule, hidden, rule.readonlyFields());
        }
        return new Candidate(rule, rule.hiddenFields(), rule.readonlyFields());
    }

    /**
     * Every field some entry hides on {@code type}, whatever the interaction: a write's response shows none of
     * them, so that restoring a protected value on write cannot reveal it.
     */
    public List<FieldPath> hiddenAnywhere(String type) {
        var out = new LinkedHashSet<FieldPath>();
        for (var rule : rules) {
            if (names(rule, type)) out.addAll(rule.hiddenFields());
        }
        if (hideClientSecrets && type.equals("ClientApplication")) out.addAll(CLIENT_SECRETS);
        return List.copyOf(out);
    }
}
