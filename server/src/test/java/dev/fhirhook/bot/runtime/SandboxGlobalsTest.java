package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.code;
import static dev.fhirhook.bot.runtime.Bots.failed;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The globals a bot may use (medplum-compat §8 and issue 5), each exercised from bot code. */
class SandboxGlobalsTest {
    private static BotRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = new BotRuntime(new BotRuntime.Settings(4, 4));
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    /** Runs a handler body (inside an async function) and returns what it returned, as text. */
    private static String body(String body) {
        return text(Bots.run(runtime, "exports.handler = async (medplum, event) => {\n" + body + "\n};"));
    }

    private static RunResult runBody(String body, RunLimits limits) {
        return runtime.run(code("exports.handler = async (medplum, event) => {\n" + body + "\n};"), "{}", HostBridge.NONE, limits);
    }

    @Test
    void console_writes_one_line_per_call_with_objects_as_json() {
        var result = Bots.run(runtime, """
                exports.handler = async () => {
                  console.log('a', 1, {b: 2}, [1, 'x'], null, undefined, true);
                  console.info('info'); console.warn('warn'); console.error('error'); console.debug('debug'); console.trace('trace');
                  const cyclic = {name: 'c'}; cyclic.self = cyclic; cyclic.list = [cyclic];
                  console.log(cyclic);
                  const shared = {v: 1};
                  console.log({x: shared, y: shared});
                  console.log(10n, Symbol('s'), function named() {});
                  console.log(new Error('shown with its stack'));
                  console.log('multi\\nline');
                };
                """);
        assertThat(result.log().split("\n")).startsWith(
                "a 1 {\"b\":2} [1,\"x\"] null undefined true",
                "info", "warn", "error", "debug", "trace",
                "{\"name\":\"c\",\"self\":\"[Circular]\",\"list\":[\"[Circular]\"]}",
                "{\"x\":{\"v\":1},\"y\":{\"v\":1}}",
                "10 Symbol(s) [Function: named]",
                "Error: shown with its stack");
        assertThat(result.log()).endsWith("multi\nline");
    }

    @Test
    void console_output_is_bounded_keeping_the_tail() {
        var limits = new RunLimits(Duration.ofSeconds(5), 64L * 1024 * 1024, 100, 1024);
        var result = runBody("for (let i = 0; i < 50; i++) console.log('line ' + String(i).padStart(4, '0'));\n"
                + "console.log('x'.repeat(5000000) + 'END');", limits);
        assertThat(result.log()).hasSizeLessThanOrEqualTo(100).endsWith("xxxEND");
        var lines = runBody("for (let i = 0; i < 50; i++) console.log('line ' + String(i).padStart(4, '0'));", limits);
        assertThat(lines.log()).hasSizeLessThanOrEqualTo(100).endsWith("line 0049").doesNotContain("line 0000");
    }

    @Test
    void console_helpers_count_time_assert() {
        var result = Bots.run(runtime, "exports.handler = async () => { console.count(); console.count(); "
                + "console.assert(1 === 2, 'nope'); console.assert(true, 'hidden'); console.time('t'); console.timeEnd('t'); "
                + "console.dir({d: 1}); };");
        assertThat(result.log()).startsWith("default: 1\ndefault: 2\nAssertion failed: nope\nt: ").endsWith("ms\n{\"d\":1}");
    }

    @Test
    void text_encoder_and_decoder() {
        assertThat(body("const bytes = new TextEncoder().encode('héllo €');\n"
                + "return bytes.length + ' ' + new TextDecoder().decode(bytes) + ' ' + new TextDecoder('utf-8').decode(new Uint8Array([0xff]));"))
                .isEqualTo("10 héllo € \uFFFD");
    }

    @Test
    void url_parses_normalises_and_resolves() {
        assertThat(body("""
                const u = new URL('HTTPS://user:pw@Example.COM:443/a/./b/../c?x=1&y=a+b#frag');
                return [u.href, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash,
                  u.origin, u.searchParams.get('y'), String(u), JSON.stringify({u})].join('|');
                """)).isEqualTo("https://user:pw@example.com/a/c?x=1&y=a+b#frag|https:|user|pw|example.com|example.com||/a/c"
                + "|?x=1&y=a+b|#frag|https://example.com|a b|https://user:pw@example.com/a/c?x=1&y=a+b#frag"
                + "|{\"u\":\"https://user:pw@example.com/a/c?x=1&y=a+b#frag\"}");
        assertThat(body("""
                return [new URL('../c?q=1', 'https://h.com/a/b/').href, new URL('/root', 'https://h.com/a/b').href,
                  new URL('?only', 'https://h.com/a/b?old#f').href, new URL('#h', 'https://h.com/a?q').href,
                  new URL('//other.org/p', 'https://h.com/').href, new URL('http://h.com:8080').href,
                  new URL('https://h.com/a b?c d#e f').href, new URL('mailto:someone@example.com').pathname,
                  new URL('urn:uuid:1234').href, new URL('https://[::1]:9000/x').host].join('|');
                """)).isEqualTo("https://h.com/a/c?q=1|https://h.com/root|https://h.com/a/b?only|https://h.com/a?q#h"
                + "|https://other.org/p|http://h.com:8080/|https://h.com/a%20b?c%20d#e%20f|someone@example.com"
                + "|urn:uuid:1234|[::1]:9000");
    }

    @Test
    void url_search_params_are_live_and_setters_work() {
        assertThat(body("""
                const u = new URL('https://h.com/p?a=1');
                u.searchParams.append('b', 'x y&z');
                u.searchParams.set('a', '2');
                const afterParams = u.href;
                u.search = '?c=3';
                u.hash = 'top'; u.pathname = '/q/r'; u.port = '8443'; u.hostname = 'Other.com';
                return [afterParams, u.href, u.searchParams.get('c'), u.searchParams.has('a')].join('|');
                """)).isEqualTo("https://h.com/p?a=2&b=x+y%26z|https://other.com:8443/q/r?c=3#top|3|false");
    }

    @Test
    void url_rejects_what_is_not_a_url() {
        assertThat(body("""
                const errors = [];
                for (const bad of ['not a url', 'http://', 'https://h.com:99999/', '']) {
                  try { new URL(bad); errors.push('parsed ' + bad); } catch (e) { errors.push(e.name); }
                }
                return errors.join(',') + ' ' + URL.canParse('https://ok.com') + ' ' + URL.canParse('nope');
                """)).isEqualTo("TypeError,TypeError,TypeError,TypeError true false");
    }

    @Test
    void url_search_params_encode_like_forms() {
        assertThat(body("""
                const p = new URLSearchParams({identifier: 'http://x|1', name: "O'Brien (jr)", empty: ''});
                p.append('multi', 'a'); p.append('multi', 'b');
                const parsed = new URLSearchParams('?a=1&b=%ZZ&c=%E2%82%AC+x&a=2&flag');
                const sorted = new URLSearchParams('z=1&a=2&m=3&a=1'); sorted.sort();
                return [p.toString(), p.getAll('multi').join(','), parsed.getAll('a').join(','), parsed.get('b'),
                  parsed.get('c'), parsed.get('flag'), String(parsed.get('none')), parsed.size, sorted.toString(),
                  [...new URLSearchParams([['k', 'v'], ['k2', 'v2']])].join(';')].join('|');
                """)).isEqualTo("identifier=http%3A%2F%2Fx%7C1&name=O%27Brien+%28jr%29&empty=&multi=a&multi=b|a,b|1,2|%ZZ"
                + "|€ x||null|5|a=2&a=1&m=3&z=1|k,v;k2,v2");
    }

    @Test
    void atob_and_btoa() {
        assertThat(body("""
                let invalid;
                try { btoa('€'); } catch (e) { invalid = e.name; }
                let bad;
                try { atob('a'); } catch (e) { bad = e.name; }
                return [btoa('hello'), atob('aGVsbG8='), atob(' aGVs bG8 '), btoa(String.fromCharCode(0, 255)), invalid, bad].join('|');
                """)).isEqualTo("aGVsbG8=|hello|hello|AP8=|InvalidCharacterError|InvalidCharacterError");
    }

    @Test
    void structured_clone_copies_deeply_and_refuses_functions() {
        assertThat(body("""
                const source = {d: new Date(0), m: new Map([['k', {v: 1}]]), s: new Set([1]), a: [1, {b: 2}], bytes: new Uint8Array([1, 2])};
                source.self = source;
                const copy = structuredClone(source);
                let refused;
                try { structuredClone({f() {}}); } catch (e) { refused = e.name; }
                return [copy !== source, copy.self === copy, copy.d instanceof Date && copy.d.getTime() === 0,
                  copy.m.get('k').v, copy.m.get('k') !== source.m.get('k'), copy.s.has(1), copy.a[1].b,
                  copy.bytes[1], copy.bytes.buffer !== source.bytes.buffer, refused].join(' ');
                """)).isEqualTo("true true true 1 true true 2 2 true DataCloneError");
    }

    @Test
    void timers_run_in_order_with_their_arguments_and_can_be_cleared() {
        assertThat(body("""
                const order = [];
                const start = Date.now();
                await new Promise((resolve) => {
                  setTimeout((x) => order.push('t30' + x), 30, '!');
                  setTimeout(() => order.push('t10'), 10);
                  const cancelled = setTimeout(() => order.push('never'), 5);
                  clearTimeout(cancelled);
                  let ticks = 0;
                  const interval = setInterval(() => { order.push('i' + (++ticks)); if (ticks === 3) clearInterval(interval); }, 1);
                  setImmediate(() => order.push('immediate'));
                  queueMicrotask(() => order.push('micro'));
                  setTimeout(resolve, 60);
                });
                const elapsed = Date.now() - start;
                order.sort((a, b) => a.localeCompare(b));
                return order.join(',') + ' ' + (elapsed >= 55);
                """)).isEqualTo("i1,i2,i3,immediate,micro,t10,t30! true");
    }

    @Test
    void timers_of_a_run_do_not_outlive_it() {
        var bot = code("""
                let fired = 0;
                exports.handler = async (medplum, event) => {
                  if (event.arm) { setTimeout(() => { fired++; console.log('late'); }, 20); return 'armed'; }
                  await new Promise((resolve) => setTimeout(resolve, 60));
                  return 'fired ' + fired;
                };
                """);
        assertThat(text(runtime.run(bot, "{\"arm\":true}", HostBridge.NONE, Bots.LIMITS))).isEqualTo("armed");
        var second = runtime.run(bot, "{}", HostBridge.NONE, Bots.LIMITS);
        assertThat(text(second)).isEqualTo("fired 0");
        assertThat(second.log()).isEmpty();
    }

    @Test
    void an_error_thrown_in_a_timer_fails_the_run() {
        var failed = failed(Bots.run(runtime, "exports.handler = () => new Promise((resolve) => { "
                + "setTimeout(() => { throw new Error('in timer'); }, 1); setTimeout(resolve, 200); });"));
        assertThat(failed.message()).isEqualTo("in timer");
    }

    @Test
    void abort_controller_and_signals() {
        assertThat(body("""
                const controller = new AbortController();
                const seen = [];
                controller.signal.addEventListener('abort', (e) => seen.push(e.type));
                controller.signal.onabort = () => seen.push('onabort');
                controller.abort();
                controller.abort();
                let thrown;
                try { controller.signal.throwIfAborted(); } catch (e) { thrown = e.name; }
                const timed = AbortSignal.timeout(10);
                await new Promise((resolve) => timed.addEventListener('abort', resolve));
                let illegal;
                try { new AbortSignal(); } catch (e) { illegal = e.name; }
                return [controller.signal.aborted, controller.signal.reason.name, seen.join('+'), thrown, timed.reason.name,
                  AbortSignal.abort('why').reason, illegal].join(' ');
                """)).isEqualTo("true AbortError onabort+abort AbortError TimeoutError why TypeError");
    }

    @Test
    void process_fetch_require_and_other_names() {
        assertThat(body("""
                let fetchError;
                try { await fetch('https://example.com'); } catch (e) { fetchError = e.message; }
                return [JSON.stringify(process), typeof Buffer, Buffer === require('buffer').Buffer,
                  require('crypto') === require('node:crypto'), global === globalThis, typeof ContentType.FHIR_JSON,
                  typeof crypto.randomUUID, typeof event, fetchError].join(' | ');
                """)).isEqualTo("{\"env\":{}} | function | true | true | true | string | function | object"
                + " | fetch is not available: bots have no network access in fhirhook");
    }

    @Test
    void error_capture_stack_trace_works_for_sdk_error_classes() {
        assertThat(body("""
                class StripeError extends Error {
                  constructor(message) { super(message); this.name = 'StripeError'; Error.captureStackTrace(this, StripeError); }
                }
                const plain = {};
                Error.captureStackTrace(plain);
                try { throw new StripeError('card declined'); } catch (e) {
                  return [e.message, typeof e.stack, typeof plain.stack, e instanceof Error].join(' ');
                }
                """)).isEqualTo("card declined string string true");
    }

    @Test
    void the_event_global_is_the_current_runs_only() {
        var bot = code("exports.handler = async (medplum, e) => JSON.stringify(globalThis.event) + ' ' + (globalThis.event === e);");
        assertThat(text(runtime.run(bot, "{\"n\":1}", HostBridge.NONE, Bots.LIMITS))).isEqualTo("{\"n\":1} true");
        assertThat(text(runtime.run(bot, "{\"n\":2}", HostBridge.NONE, Bots.LIMITS))).isEqualTo("{\"n\":2} true");
    }
}
