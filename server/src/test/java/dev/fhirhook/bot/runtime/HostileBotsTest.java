package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.code;
import static dev.fhirhook.bot.runtime.Bots.failed;
import static dev.fhirhook.bot.runtime.Bots.returned;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 5's list of bad bots: each is contained (a failure value, never an exception, a stuck thread or a
 * host escape), and after each another bot runs normally and quickly.
 */
class HostileBotsTest {
    /** For the tests about time; the others get a generous bound, since a cold context in a cold JVM is slow. */
    private static final Duration TIMEOUT = Duration.ofMillis(700);
    /** Past a deadline, cancelling takes a poll of the watchdog and a safepoint; the rest is a busy machine. */
    private static final Duration SLACK = Duration.ofMillis(1500);
    private static final RunLimits SHORT = new RunLimits(TIMEOUT, 64L * 1024 * 1024, 64 * 1024, 10 * 1024 * 1024);
    private static final RunLimits LIMITS = new RunLimits(Duration.ofSeconds(10), 64L * 1024 * 1024, 64 * 1024, 10 * 1024 * 1024);
    /** The server's own budget (256 MiB), for the string tests: the engine's refusal comes before the watchdog's. */
    private static final RunLimits SERVER = RunLimits.defaults(Duration.ofSeconds(20));
    private static final BotCode HEALTHY = code("let runs = 0;\nexports.handler = async (medplum, event) => 'ok ' + (++runs);");

    private static BotRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = new BotRuntime(new BotRuntime.Settings(4, 4));
        text(runtime.run(HEALTHY, "{}", HostBridge.NONE, LIMITS)); // warm
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @AfterEach
    void another_bot_still_runs_normally_and_quickly() {
        var result = runtime.run(HEALTHY, "{}", HostBridge.NONE, LIMITS);
        assertThat(text(result)).startsWith("ok ");
        assertThat(result.duration()).as("a warm run, on a machine that may be busy").isLessThan(Duration.ofMillis(1000));
    }

    private static RunResult run(String source) {
        return runtime.run(code(source), "{}", HostBridge.NONE, LIMITS);
    }

    private static RunResult runShort(String source) {
        return runtime.run(code(source), "{}", HostBridge.NONE, SHORT);
    }

    @Test
    void throwing_a_string_fails_with_that_text() {
        var failed = failed(run("exports.handler = async () => { throw 'plain string'; };"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).isEqualTo("plain string");
        assertThat(failed.log()).isEqualTo("Unhandled error: plain string\nError plain string");
    }

    @Test
    void throwing_an_error_fails_with_its_message_and_logs_the_stack() {
        var failed = failed(run("exports.handler = async () => {\n  throw new TypeError('bad input');\n};"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).isEqualTo("bad input");
        assertThat(failed.log()).startsWith("Unhandled error: bad input\nTypeError: bad input\n    at ")
                .contains("index.js:2").endsWith("\nError bad input").doesNotContain("prelude");
    }

    @Test
    void throwing_an_operation_outcome_fails_with_its_text() {
        var failed = failed(run("exports.handler = async () => { throw {resourceType: 'OperationOutcome', "
                + "issue: [{severity: 'error', code: 'invalid', details: {text: 'Missing identifier'}}]}; };"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).isEqualTo("Missing identifier");
        assertThat(failed.log()).startsWith("Unhandled error: {\n  \"resourceType\": \"OperationOutcome\"");
        var diagnostics = failed(run("exports.handler = async () => { throw {resourceType: 'OperationOutcome', "
                + "issue: [{severity: 'error', code: 'invalid', diagnostics: 'from diagnostics'}]}; };"));
        assertThat(diagnostics.message()).isEqualTo("from diagnostics");
    }

    @Test
    void a_synchronous_throw_and_a_rejected_promise_are_the_same_failure() {
        assertThat(failed(run("exports.handler = () => { throw new Error('sync'); };")).message()).isEqualTo("sync");
        assertThat(failed(run("exports.handler = () => Promise.reject(new Error('rejected'));")).message()).isEqualTo("rejected");
        assertThat(failed(run("exports.handler = async () => { throw null; };")).message()).isEqualTo("null");
    }

    @Test
    void a_huge_thrown_message_is_cut() {
        var failed = failed(run("exports.handler = async () => { throw 'x'.repeat(5000000); };"));
        assertThat(failed.message().length()).isLessThanOrEqualTo(BotContext.MAX_MESSAGE_CHARS + 1);
        assertThat(failed.log().length()).isLessThanOrEqualTo(LIMITS.maxLogChars());
    }

    @Test
    void returning_undefined_is_a_value() {
        assertThat(returned(run("exports.handler = async () => undefined;"))).isEqualTo(new ReturnValue.Undefined());
    }

    @Test
    void returning_a_cyclic_object_fails_as_result() {
        var failed = failed(run("exports.handler = async () => { const a = {name: 'a'}; a.self = a; return a; };"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.RESULT);
        assertThat(failed.message()).contains("cannot be serialised");
    }

    /** An object along 2^40 paths whose every node has 200 more keys that print nothing: no output bounds its JSON. */
    private static final String PADDED = """
            const pad = (o) => { for (let j = 0; j < 200; j++) o['u' + j] = undefined; return o; };
            let n = pad({});
            for (let i = 0; i < 40; i++) n = pad({a: n, b: n});
            """;

    @ParameterizedTest
    @ValueSource(strings = {"return n;", "return JSON.stringify(n).length;", "return JSON.stringify(n, ['a', 'b']);",
            "return JSON.stringify(n, (k, v) => v);", "console.log(n); return 1;", "await medplum.createResource(n);"})
    void serialising_a_value_whose_work_no_output_bounds_stops_at_the_deadline_and_frees_the_slot(String use) throws Exception {
        try (var single = new BotRuntime(new BotRuntime.Settings(1, 1))) {
            var bot = code("exports.handler = async (medplum) => {\n" + PADDED + use + "\n};");
            var failed = failed(single.run(bot, "{}", HostBridge.NONE, SHORT));
            // whichever bound it reaches first: a replacer's calls allocate, and the budget here is 64 MiB
            assertThat(failed.reason()).isIn(RunResult.Failure.TIMEOUT, RunResult.Failure.MEMORY);
            assertThat(failed.duration()).isLessThan(TIMEOUT.plus(SLACK));
            // JSON.stringify was one builtin step the watchdog could not stop: its thread and the only slot stayed
            // taken for a minute after the answer, and every other bot was refused meanwhile
            long until = System.nanoTime() + SLACK.toNanos();
            var next = single.run(HEALTHY, "{}", HostBridge.NONE, LIMITS);
            while (next instanceof RunResult.Rejected && System.nanoTime() < until) {
                Thread.sleep(20);
                next = single.run(HEALTHY, "{}", HostBridge.NONE, LIMITS);
            }
            assertThat(text(next)).startsWith("ok ");
        }
    }

    @Test
    void json_stringify_behaves_as_the_builtin_does() {
        var value = text(run("""
                exports.handler = async () => {
                  const v = {b: 1, a: [1, {c: 2, d: undefined}], n: new Number(3), s: new String('x'),
                             t: {toJSON: (k) => 'T' + k}, z: null, f: () => 1};
                  return [
                    JSON.stringify(v),
                    JSON.stringify(v, ['a', 'c', 'n', 'a', 7, {}]),
                    JSON.stringify(v, (k, x) => (typeof x === 'number' ? x * 10 : x)),
                    JSON.stringify({a: {b: 1}}, function (k, x) { return k === 'b' ? Object.keys(this).join() : x; }),
                    JSON.stringify([undefined, () => 1], null, 1),
                    JSON.stringify({a: [1]}, null, '--'),
                    String(JSON.stringify(undefined)),
                    JSON.stringify('s'),
                    JSON.stringify.name + JSON.stringify.length,
                  ].join('|');
                };"""));
        assertThat(value.split("\\|", -1)).containsExactly(
                "{\"b\":1,\"a\":[1,{\"c\":2}],\"n\":3,\"s\":\"x\",\"t\":\"Tt\",\"z\":null}",
                "{\"a\":[1,{\"c\":2}],\"n\":3}",
                "{\"b\":10,\"a\":[10,{\"c\":20}],\"n\":3,\"s\":\"x\",\"t\":\"Tt\",\"z\":null}",
                "{\"a\":{\"b\":\"b\"}}",
                "[\n null,\n null\n]",
                "{\n--\"a\": [\n----1\n--]\n}",
                "undefined",
                "\"s\"",
                "stringify3");
    }

    @Test
    void returning_a_30_mb_string_fails_as_result() {
        // (30 M characters: within what a string may take in one step under a 256 MiB budget, over the result limit)
        var limits = new RunLimits(Duration.ofSeconds(20), 256L * 1024 * 1024, 64 * 1024, 10 * 1024 * 1024);
        var failed = failed(runtime.run(code("exports.handler = async () => 'x'.repeat(30 * 1024 * 1024);"), "{}",
                HostBridge.NONE, limits));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.RESULT);
        assertThat(failed.message()).contains("too large").contains("31457280");
        var json = failed(runtime.run(code("exports.handler = async () => ({big: 'y'.repeat(11 * 1024 * 1024)});"), "{}",
                HostBridge.NONE, limits));
        assertThat(json.reason()).isEqualTo(RunResult.Failure.RESULT);
    }

    @Test
    void a_promise_that_never_settles_fails_at_once_when_nothing_is_pending() {
        var failed = failed(runShort("exports.handler = () => new Promise(() => {});"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
        assertThat(failed.message()).isEqualTo(BotContext.NEVER_SETTLES);
        assertThat(failed.duration()).isLessThan(TIMEOUT);
    }

    @Test
    void a_promise_waiting_on_a_long_timer_times_out_at_the_deadline() {
        var failed = failed(runShort("exports.handler = () => new Promise((resolve) => setTimeout(resolve, 60000));"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
        assertThat(failed.duration()).isBetween(TIMEOUT, TIMEOUT.plus(SLACK));
    }

    @Test
    void an_interval_cannot_keep_a_run_alive_past_the_deadline() {
        var failed = failed(runShort("let n = 0;\nexports.handler = () => new Promise(() => setInterval(() => n++, 0));"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
        assertThat(failed.duration()).isBetween(TIMEOUT, TIMEOUT.plus(SLACK));
    }

    @Test
    void an_endless_loop_is_cancelled_at_the_deadline() {
        var failed = failed(runShort("exports.handler = async () => { while (true) {} };"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
        assertThat(failed.message()).isEqualTo("The bot did not finish within 700 ms");
        assertThat(failed.duration()).isBetween(TIMEOUT, TIMEOUT.plus(SLACK));
    }

    @Test
    void an_endless_loop_at_load_time_is_cancelled_too() {
        var failed = failed(runShort("for (;;) {}\nexports.handler = async () => 1;"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.TIMEOUT);
    }

    @Test
    void an_allocation_loop_is_cancelled_past_the_budget() {
        var limits = new RunLimits(Duration.ofSeconds(20), 64L * 1024 * 1024, 64 * 1024, 1024);
        // Large chunks per statement, so the budget comes long before the deadline even in a slow interpreter.
        var failed = failed(runtime.run(code("exports.handler = async () => { const keep = [];\n"
                + "  for (;;) keep.push(new Array(200000).fill('x' + keep.length)); };"), "{}", HostBridge.NONE, limits));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.MEMORY);
        assertThat(failed.message()).isEqualTo("The bot allocated more than 64 MiB");
    }

    /**
     * One allocation larger than the free heap cannot be pre-empted by a polling watchdog, and a few at once from
     * concurrent runs would end the server (the launcher runs with -XX:+ExitOnOutOfMemoryError: four runs of this bot
     * at once did, before buffers were capped). Now the sandbox refuses it before it reaches the heap.
     */
    @Test
    void one_allocation_larger_than_the_heap_is_refused_before_it_reaches_the_heap() {
        var failed = failed(run("exports.handler = async () => new ArrayBuffer(Math.floor(1.9 * 1024 ** 3)).byteLength;"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).startsWith("Array buffer allocation failed: 2040109465 bytes is more than the "
                + LIMITS.maxBufferBytes());
    }

    /**
     * A string one builtin builds from many parts is as quick as a buffer: four runs of this bot at once ended a
     * server with the launcher's flags (-XX:+ExitOnOutOfMemoryError), twelve with a 6 GB heap. The engine now
     * refuses each past {@link BotContext#MAX_STRING_CHARS}, before the string reaches the heap.
     */
    @Test
    void strings_built_by_one_builtin_from_many_parts_are_refused_before_they_reach_the_heap() throws Exception {
        var stringify = code("exports.handler = async () => JSON.stringify(new Array(2 ** 12).fill('x'.repeat(2 ** 17))).length;");
        var pool = Executors.newFixedThreadPool(4);
        try {
            var runs = new ArrayList<Future<RunResult>>();
            for (int i = 0; i < 4; i++) runs.add(pool.submit(() -> runtime.run(stringify, "{}", HostBridge.NONE, SERVER)));
            for (var result : runs) {
                var failed = failed(result.get());
                assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
                assertThat(failed.message()).isEqualTo("Invalid string length");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Each just over {@link BotContext#MAX_STRING_CHARS} (32 Mi), from parts within it; each a run of its own. */
    @ParameterizedTest
    @ValueSource(strings = {
        "JSON.stringify(parts)", "parts.join(',')", "String(parts)", "half + half + 'x'", "`${half}${half}x`",
        "half.concat(half, 'x')", "'x'.repeat(2 ** 22).replaceAll('xxxxxxxx', 'y'.repeat(72))",
        "'x'.repeat(2 ** 12).replaceAll('x', 'y'.repeat(2 ** 13 + 1))",
        "('x' + 'y'.repeat(2 ** 12)).replace('x', \"$'\".repeat(2 ** 13))",
        "'x'.repeat(2 ** 12).replace(/x/g, 'y'.repeat(2 ** 13 + 1))",
        "'x'.repeat(2 ** 25 + 1)", "'x'.padStart(2 ** 25 + 1)", "'x'.padEnd(2 ** 25 + 1, 'ab')",
        "(() => { let s = 'ab'; for (;;) s += s; })()"})
    void every_builtin_that_builds_a_string_longer_than_the_limit_fails_with_nodes_range_error(String build) {
        assertThat(text(runtime.run(code(STRING_PARTS + "exports.handler = async () => {\n"
                + "  try { return 'allocated ' + (" + build + ").length; } catch (e) { return e.name + ': ' + e.message; }\n"
                + "};"), "{}", HostBridge.NONE, SERVER))).isEqualTo("RangeError: Invalid string length");
    }

    @Test
    void strings_up_to_the_limit_are_built_as_before() {
        assertThat(text(runtime.run(code(STRING_PARTS + "exports.handler = async () => "
                + "(half + half).length + ' ' + JSON.stringify(parts.slice(0, 512)).length;"), "{}", HostBridge.NONE,
                SERVER))).isEqualTo("33554432 16778753");
    }

    @Test
    void replace_and_replace_all_behave_as_before_within_the_limit() {
        assertThat(text(runtime.run(code("exports.handler = async () => [\n"
                + "  'a-b-c'.replaceAll('-', '$&$&'), 'abc'.replace('b', \"[$`|$'|$$]\"), 'aXbX'.replaceAll('X', (m, i) => i),\n"
                + "  String.prototype.replaceAll.call(12321, 2, '$$'), 'xax'.replace(/x/g, 'y'), 'abc'.replaceAll('', '-'),\n"
                + "  'abc'.replace({ [Symbol.replace]: (s, r) => s + r }, '!'), 'x'.repeat(2 ** 20).replaceAll('x', 'ab').length,\n"
                // over the limit at worst (5 times the text per match), but nothing matches: counted, then built
                + "  'y'.repeat(2 ** 23).replace('z', \"$'$'$'$'$'\").length].join(' ');"), "{}", HostBridge.NONE, SERVER)))
                .isEqualTo("a--b--c a[a|c|$]c a1b3 1$3$1 yay -a-b-c- abc! 2097152 8388608");
    }

    private static final String STRING_PARTS =
            "const half = 'x'.repeat(2 ** 24);\nconst parts = new Array(1024).fill('x'.repeat(32768));\n";

    @Test
    void every_way_to_allocate_a_large_buffer_in_one_step_is_refused_with_nodes_range_error() {
        // LIMITS: a 64 MiB budget, so at most 16 MiB in one buffer
        var result = text(run("""
                exports.handler = async () => {
                  class Big extends Uint8Array {}
                  const attempts = {
                    arrayBuffer: () => new ArrayBuffer(2 ** 30),
                    typedLength: () => new Float64Array(4 * 1024 * 1024),
                    arrayLike: () => new Uint8Array({ length: 2 ** 30 }),
                    lookalikeBuffer: () => new Uint8Array({ __proto__: ArrayBuffer.prototype, length: 2 ** 30 }),
                    bufferParent: () => new (Object.getPrototypeOf(Buffer))(2 ** 30),
                    viewConstructor: () => new (new Uint8Array(1).constructor)(2 ** 30),
                    bufferConstructor: () => new (new ArrayBuffer(1).constructor)(2 ** 30),
                    widened: () => new Float64Array(new Uint8Array(4 * 1024 * 1024)),
                    from: () => Uint8Array.from({ length: 2 ** 30 }),
                    subclass: () => new Big(2 ** 30),
                    bufferAlloc: () => Buffer.alloc(2 ** 30),
                    bufferAllocUnsafe: () => Buffer.allocUnsafe(2 ** 30),
                    resizable: () => new ArrayBuffer(8, { maxByteLength: 2 ** 31 }),
                    resize: () => new ArrayBuffer(8, { maxByteLength: 2 ** 25 }).resize(2 ** 25),
                    transfer: () => new ArrayBuffer(8).transfer(2 ** 30),
                    shared: () => new SharedArrayBuffer(2 ** 30),
                    repeat: () => 'x'.repeat(2 ** 29),
                    padStart: () => 'x'.padStart(2 ** 29),
                    padEnd: () => 'x'.padEnd(2 ** 29, 'ab'),
                  };
                  const out = [];
                  for (const [name, attempt] of Object.entries(attempts)) {
                    try {
                      attempt();
                      out.push(name + ': allocated');
                    } catch (e) {
                      out.push(name + ': ' + e.name + ' ' + /^(Array buffer allocation failed|Invalid string length)/.test(e.message));
                    }
                  }
                  return out.join('\\n');
                };
                """));
        assertThat(result.lines()).allSatisfy(line -> assertThat(line).endsWith(": RangeError true"));
        assertThat(result.lines()).hasSize(19);
    }

    @Test
    void buffers_within_the_cap_and_the_constructors_behave_as_before() {
        var result = text(run("""
                exports.handler = async () => {
                  class Small extends Uint8Array {}
                  const encoded = new TextEncoder().encode('hé');
                  const resizable = new ArrayBuffer(8, { maxByteLength: 16 });
                  resizable.resize(16);
                  return JSON.stringify([
                    new Uint8Array(1024).length,
                    new Uint8Array(16 * 1024 * 1024).length,
                    encoded instanceof Uint8Array,
                    new Uint8Array(1).constructor === Uint8Array,
                    Uint8Array.prototype.constructor === Uint8Array,
                    Object.getPrototypeOf(encoded) === Uint8Array.prototype,
                    Uint8Array.name + ' ' + typeof Uint8Array + ' ' + Uint8Array.BYTES_PER_ELEMENT,
                    Uint8Array.from([1, 2, 3]).map((x) => x * 2).join(),
                    new Uint8Array([1, 2, 3, 4]).subarray(1, 3).join(),
                    new Float64Array(new ArrayBuffer(16)).length,
                    new Small(4) instanceof Uint8Array && new Small(4) instanceof Small,
                    Buffer.from('hi').toString('hex'),
                    Buffer.alloc(3) instanceof Uint8Array,
                    resizable.byteLength,
                    new ArrayBuffer(4).transfer().byteLength,
                    ArrayBuffer.isView(new DataView(new ArrayBuffer(1))),
                    Object.prototype.toString.call(new Uint8Array(1)),
                    new Int32Array(new Set([1, 2])).length,
                    'ab'.repeat(3) + '5'.padStart(3, '0') + '5'.padEnd(2) + '|' + 'x'.repeat(4 * 1024 * 1024).length,
                  ]);
                };
                """));
        assertThat(result).isEqualTo("[1024,16777216,true,true,true,true,\"Uint8Array function 1\",\"2,4,6\",\"2,3\","
                + "2,true,\"6869\",true,16,4,true,\"[object Uint8Array]\",2,\"ababab0055 |4194304\"]");
    }

    @Test
    void garbage_counts_against_the_budget_too() {
        var limits = new RunLimits(Duration.ofSeconds(20), 32L * 1024 * 1024, 64 * 1024, 1024);
        var failed = failed(runtime.run(code("exports.handler = async () => { let s;\n"
                + "  for (;;) s = JSON.stringify({a: new Array(100000).fill(1)}); };"), "{}", HostBridge.NONE, limits));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.MEMORY);
    }

    @Test
    void infinite_recursion_fails_as_stack() {
        var failed = failed(run("function down(n) { return down(n + 1) + 1; }\nexports.handler = async () => down(0);"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.STACK);
        assertThat(failed.message()).contains("Maximum call stack size exceeded");
        var atLoad = failed(run("(function down() { down(); })();\nexports.handler = async () => 1;"));
        assertThat(atLoad.reason()).isEqualTo(RunResult.Failure.STACK);
    }

    @Test
    void reasonable_recursion_depth_works() {
        assertThat(returned(run("function down(n) { return n === 0 ? 0 : down(n - 1) + 1; }\n"
                + "exports.handler = async () => down(1000);"))).isEqualTo(new ReturnValue.Number("1000"));
    }

    @Test
    void java_polyglot_load_and_friends_do_not_exist() {
        var names = "['Java', 'Polyglot', 'Graal', 'load', 'loadWithNewGlobal', 'print', 'printErr', 'quit', 'exit', "
                + "'Packages', 'java', 'javax', 'com', 'org', 'edu', 'javafx', 'Debug', 'Realm', 'readline', 'read', "
                + "'readbuffer', 'console_', '__fhirhook', 'host']";
        assertThat(text(run("exports.handler = async () => " + names
                + ".filter((n) => typeof globalThis[n] !== 'undefined').join(',') || 'none';"))).isEqualTo("none");
    }

    @Test
    void java_type_fails() {
        var failed = failed(run("exports.handler = async () => Java.type('java.lang.Runtime').getRuntime().exec('id');"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).isEqualTo("Java is not defined");
    }

    @Test
    void polyglot_eval_fails() {
        assertThat(failed(run("exports.handler = async () => Polyglot.eval('js', '1');")).message())
                .isEqualTo("Polyglot is not defined");
    }

    @Test
    void load_fails() {
        assertThat(failed(run("exports.handler = async () => load('/etc/passwd');")).message()).isEqualTo("load is not defined");
        assertThat(failed(run("exports.handler = async () => load('x');")).message()).isEqualTo("load is not defined");
    }

    @Test
    void require_of_fs_and_child_process_fails_clearly() {
        assertThat(failed(run("const fs = require('fs');\nexports.handler = async () => fs.readFileSync('/etc/passwd', 'utf8');"))
                .message()).isEqualTo("Cannot find module 'fs' (only crypto and buffer are available to bots)");
        assertThat(failed(run("exports.handler = async () => require('child_process').execSync('id');")).message())
                .isEqualTo("Cannot find module 'child_process' (only crypto and buffer are available to bots)");
        assertThat(failed(run("exports.handler = async () => require('node:fs');")).message())
                .startsWith("Cannot find module 'node:fs'");
    }

    @Test
    void dynamic_import_reaches_nothing_on_disk() {
        for (var specifier : new String[] {"/etc/passwd", "fs", "./secrets.js", "file:///etc/passwd", "https://example.com/x.js"}) {
            var failed = failed(run("exports.handler = async () => (await import('" + specifier + "')).default;"));
            assertThat(failed.reason()).as(specifier).isEqualTo(RunResult.Failure.ERROR);
            assertThat(failed.message()).as(specifier).doesNotContain("root:");
        }
    }

    @Test
    void process_env_is_empty() {
        assertThat(text(run("exports.handler = async () => JSON.stringify(process) + ' ' + Object.keys(process.env).length"
                + " + ' ' + typeof process.exit + ' ' + typeof process.binding;"))).isEqualTo("{\"env\":{}} 0 undefined undefined");
    }

    @Test
    void the_function_constructor_finds_only_the_sandbox_global() {
        var result = text(run("exports.handler = async function () {\n"
                + "  const g = this.constructor.constructor('return this')();\n"
                + "  const viaFunction = Function('return this')();\n"
                + "  return [g === globalThis, viaFunction === globalThis, typeof g.Java, typeof g.Polyglot,"
                + " typeof g.process.env.PATH, typeof g.load].join(' ');\n};"));
        assertThat(result).isEqualTo("true true undefined undefined undefined undefined");
    }

    @Test
    void function_return_java_finds_nothing() {
        assertThat(failed(run("exports.handler = async () => Function('return Java')();")).message()).isEqualTo("Java is not defined");
        assertThat(failed(run("exports.handler = async () => eval('Java.type(\"java.io.File\")');")).message())
                .isEqualTo("Java is not defined");
    }

    @Test
    void host_objects_handed_to_the_bot_expose_no_java_members() {
        // Bytes come back from Java as a ByteBuffer copied into a Buffer: the copy is a plain Uint8Array.
        assertThat(text(run("const c = require('crypto');\nexports.handler = async () => {\n"
                + "  const b = c.randomBytes(4);\n"
                + "  return [b instanceof Uint8Array, typeof b.getClass, typeof b.array, Object.getPrototypeOf(b) === Buffer.prototype].join(' ');\n};")))
                .isEqualTo("true undefined undefined true");
    }

    @Test
    void a_faked_view_length_cannot_make_the_host_allocate() {
        var failed = failed(run("const crypto = require('crypto');\nexports.handler = async () => {\n"
                + "  const view = new Uint8Array(8);\n"
                + "  Object.defineProperty(view, 'byteLength', {value: 1500000000});\n"
                + "  return crypto.createHash('sha256').update(view).digest('hex');\n};"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
    }

    @Test
    void atomics_wait_cannot_block_the_thread() {
        var failed = failed(runShort("exports.handler = async () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.duration()).isLessThan(TIMEOUT);
    }

    @Test
    void console_output_never_reaches_the_jvm_stdout() {
        var out = System.out;
        var captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true));
        try {
            var result = run("exports.handler = async () => { console.log('to the log'); console.error('err'); return 1; };");
            assertThat(result.log()).isEqualTo("to the log\nerr");
        } finally {
            System.setOut(out);
        }
        assertThat(captured.toString()).doesNotContain("to the log");
    }
}
