package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.code;
import static dev.fhirhook.bot.runtime.Bots.failed;
import static dev.fhirhook.bot.runtime.Bots.returned;
import static dev.fhirhook.bot.runtime.Bots.run;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Module forms (CommonJS and ESM by Medplum's rule), the handler contract, syntax checks. */
class BotModulesTest {
    private static BotRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = new BotRuntime(new BotRuntime.Settings(4, 4));
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void commonjs_exports_handler_receives_medplum_and_the_event() {
        var result = runtime.run(code("exports.handler = async (medplum, event) => "
                + "typeof medplum.createResource + ' ' + event.input.name;"), "{\"input\":{\"name\":\"Ada\"}}", HostBridge.NONE, Bots.LIMITS);
        assertThat(text(result)).isEqualTo("function Ada");
    }

    @Test
    void commonjs_module_exports_object_and_module_exports_handler() {
        assertThat(text(run(runtime, "module.exports = { handler: async () => 'object' };"))).isEqualTo("object");
        assertThat(text(run(runtime, "module.exports.handler = async () => 'member';"))).isEqualTo("member");
        assertThat(text(run(runtime, "async function handler() { return 'sync-style'; }\nmodule.exports = { handler };")))
                .isEqualTo("sync-style");
    }

    @Test
    void a_handler_that_is_not_async_may_return_a_value_directly() {
        assertThat(text(run(runtime, "exports.handler = () => 'plain';"))).isEqualTo("plain");
    }

    @Test
    void esm_named_function_const_and_default_exports() {
        assertThat(text(run(runtime, "export async function handler(medplum, event) { return 'fn ' + event.n; }", "{\"n\":1}")))
                .isEqualTo("fn 1");
        assertThat(text(run(runtime, "export const handler = async () => 'const';"))).isEqualTo("const");
        assertThat(text(run(runtime, "export default async function (medplum, event) { return 'default'; }")))
                .isEqualTo("default");
        assertThat(text(run(runtime, "export default { handler: async () => 'default object' };")))
                .isEqualTo("default object");
    }

    @Test
    void esm_with_top_level_await_and_imports_of_the_shims() {
        var source = """
                import crypto from 'crypto';
                import { createHash } from 'node:crypto';
                import { Buffer } from 'buffer';
                const prefix = await Promise.resolve('tla');
                export async function handler() {
                  return prefix + ' ' + crypto.createHash('sha256').update('x').digest('hex').slice(0, 8)
                    + ' ' + createHash('sha1').update('x').digest('hex').slice(0, 8) + ' ' + Buffer.from('hi').toString('hex');
                }
                """;
        assertThat(text(run(runtime, source))).isEqualTo("tla 2d711642 11f6ad8e 6869");
    }

    @Test
    void esm_import_of_anything_else_fails_clearly() {
        var failed = failed(run(runtime, "import fs from 'fs';\nexport async function handler() { return 1; }"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).contains("Cannot find module 'fs'").contains("only crypto and buffer");
    }

    @Test
    void the_filename_decides_before_the_content() {
        // .cjs: `export` in a comment-free CommonJS file is a syntax error, not an ES module
        var cjs = failed(runtime.run(code("export const handler = async () => 1;", "bot.cjs"), "{}", HostBridge.NONE, Bots.LIMITS));
        assertThat(cjs.message()).contains("SyntaxError");
        // .mjs: module.exports does not exist in an ES module
        assertThat(text(runtime.run(code("export const handler = async () => typeof module;", "bot.mjs"), "{}",
                HostBridge.NONE, Bots.LIMITS))).isEqualTo("undefined");
        // no extension hint, export and module.exports both present: CommonJS
        assertThat(text(run(runtime, "// export const x = 1;\nmodule.exports.handler = async () => 'cjs';"))).isEqualTo("cjs");
    }

    @Test
    void no_handler_exported_is_an_error_run() {
        var failed = failed(run(runtime, "exports.notTheHandler = async () => 1;"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).startsWith("No handler exported");
        assertThat(failed.log()).contains("No handler exported");
        assertThat(failed(run(runtime, "export const other = 1;")).message()).startsWith("No handler exported");
        assertThat(failed(run(runtime, "")).message()).startsWith("No handler exported");
    }

    @Test
    void an_error_at_load_time_fails_the_run_and_is_logged() {
        var failed = failed(run(runtime, "console.log('loading');\nthrow new Error('bad config');\nexports.handler = async () => 1;"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).isEqualTo("bad config");
        assertThat(failed.log()).startsWith("loading\nUnhandled error: bad config\n");
        var esm = failed(run(runtime, "throw new TypeError('esm boom');\nexport const handler = () => 1;"));
        assertThat(esm.message()).contains("esm boom");
    }

    @Test
    void return_values_map_to_their_kinds() throws Exception {
        var json = new ObjectMapper();
        assertThat(returned(run(runtime, Bots.returning("undefined")))).isEqualTo(new ReturnValue.Undefined());
        assertThat(returned(run(runtime, "exports.handler = async () => {};"))).isEqualTo(new ReturnValue.Undefined());
        assertThat(returned(run(runtime, Bots.returning("'text'")))).isEqualTo(new ReturnValue.Text("text"));
        assertThat(returned(run(runtime, Bots.returning("42")))).isEqualTo(new ReturnValue.Number("42"));
        assertThat(returned(run(runtime, Bots.returning("0.1 + 0.2")))).isEqualTo(new ReturnValue.Number("0.30000000000000004"));
        assertThat(returned(run(runtime, Bots.returning("1e21")))).isEqualTo(new ReturnValue.Number("1e+21"));
        assertThat(returned(run(runtime, Bots.returning("NaN")))).isEqualTo(new ReturnValue.Number("NaN"));
        assertThat(returned(run(runtime, Bots.returning("true")))).isEqualTo(new ReturnValue.Json(json.readTree("true")));
        assertThat(returned(run(runtime, Bots.returning("null")))).isEqualTo(new ReturnValue.Json(json.readTree("null")));
        var object = (ReturnValue.Json) returned(run(runtime, Bots.returning("{resourceType: 'Patient', n: [1, 2.5], skip: undefined}")));
        assertThat(object.json().toString()).isEqualTo("{\"resourceType\":\"Patient\",\"n\":[1,2.5]}");
    }

    @Test
    void check_accepts_valid_code_of_either_type() {
        assertThat(runtime.check("exports.handler = async (m, e) => e;", "bot.js")).isEmpty();
        assertThat(runtime.check("export async function handler(m, e) { return e; }", "bot.mjs")).isEmpty();
        assertThat(runtime.check("import x from 'fs';\nexport const handler = () => x;", "bot.js")).isEmpty();
        assertThat(runtime.check("return;", "bot.js")).as("a CommonJS body may return").isEmpty();
    }

    @Test
    void check_reports_line_and_column_of_a_commonjs_syntax_error() {
        var problem = runtime.check("exports.handler = async () => {\n  const x = ;\n};", "bot.js").orElseThrow();
        assertThat(problem.line()).isEqualTo(2);
        assertThat(problem.column()).isEqualTo(13);
        assertThat(problem.message()).doesNotStartWith("SyntaxError").isNotBlank();
        var firstLine = runtime.check("let = = 1;", "bot.js").orElseThrow();
        assertThat(firstLine.line()).isEqualTo(1);
        assertThat(firstLine.column()).as("not shifted by the CommonJS wrapper").isLessThanOrEqualTo(7);
    }

    @Test
    void check_reports_an_unclosed_block_inside_the_bots_own_text() {
        var problem = runtime.check("exports.handler = async () => {\n  return 1;\n", "bot.js").orElseThrow();
        assertThat(problem.line()).isBetween(1, 3);
    }

    @Test
    void check_reports_line_and_column_of_an_esm_syntax_error() {
        var problem = runtime.check("import x from 'crypto';\n\nexport async function handler() { return 1 +; }\n", "bot.mjs").orElseThrow();
        assertThat(problem.line()).isEqualTo(3);
        assertThat(problem.column()).isEqualTo(45);
        var byContent = runtime.check("export const handler = async () => {\n  await;\n};", "index.js").orElseThrow();
        assertThat(byContent.line()).isEqualTo(2);
    }

    @Test
    void check_rejects_binary_and_non_javascript_text() {
        assertThat(runtime.check("\u0000\u0001PNG\u0002", "bot.js")).isPresent();
        assertThat(runtime.check("<?xml version=\"1.0\"?><bot/>", "bot.js")).isPresent();
    }
}
