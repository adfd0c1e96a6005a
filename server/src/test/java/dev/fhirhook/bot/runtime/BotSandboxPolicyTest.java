package dev.fhirhook.bot.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.SandboxPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bot contexts run under SandboxPolicy.TRUSTED only to set the engine's string limit, an experimental option that
 * CONSTRAINED forbids. Everything else in their configuration must be what CONSTRAINED accepts, so that the
 * policy's own validation still vouches for it: these tests build it under CONSTRAINED.
 */
class BotSandboxPolicyTest {
    private static Engine constrained;

    @BeforeAll
    static void start() {
        constrained = BotContext.newEngine(SandboxPolicy.CONSTRAINED);
    }

    @AfterAll
    static void stop() {
        constrained.close();
    }

    @Test
    void the_context_configuration_without_the_string_limit_is_accepted_by_the_constrained_policy() {
        try (var context = BotContext.sandboxed(constrained, SandboxPolicy.CONSTRAINED, null).build()) {
            assertThat(context.eval("js", "typeof Java + ' ' + typeof Polyglot + ' ' + typeof print").asString())
                    .isEqualTo("undefined undefined undefined");
        }
    }

    @Test
    void a_weaker_configuration_is_refused_by_the_constrained_policy_so_the_check_above_means_something() {
        assertThatThrownBy(() -> BotContext.sandboxed(constrained, SandboxPolicy.CONSTRAINED, null)
                .allowNativeAccess(true).build().close())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BotContext.sandboxed(constrained, SandboxPolicy.CONSTRAINED, null)
                .allowExperimentalOptions(true).option("js.string-length-limit", "1000").build().close())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void the_production_context_has_the_string_limit() {
        try (var engine = BotContext.newEngine(); var context = BotContext.newContext(engine, null)) {
            assertThat(context.eval("js", "try { 'x'.repeat(" + (BotContext.MAX_STRING_CHARS + 1) + "); 'built' }"
                    + " catch (e) { e.name + ': ' + e.message }").asString()).isEqualTo("RangeError: Invalid string length");
            assertThat(context.eval("js", "'x'.repeat(" + BotContext.MAX_STRING_CHARS + ").length").asInt())
                    .isEqualTo(BotContext.MAX_STRING_CHARS);
        }
    }
}
