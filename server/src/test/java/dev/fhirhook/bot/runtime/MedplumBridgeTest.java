package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.code;
import static dev.fhirhook.bot.runtime.Bots.failed;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The medplum object against a fake {@link HostBridge} (our own seam; the real bridge belongs to the runner):
 * exactly the JSON each method sends, and how answers and failures come back to the bot.
 */
class MedplumBridgeTest {
    private static BotRuntime runtime;

    record Call(String method, String json, String thread) {}

    /** Records every call and answers with {@code answer(method, json)}. */
    static final class FakeBridge implements HostBridge {
        final List<Call> calls = new ArrayList<>();
        final BiFunction<String, String, String> answer;

        FakeBridge(BiFunction<String, String, String> answer) {
            this.answer = answer;
        }

        @Override
        public String call(String method, String argumentsJson) {
            calls.add(new Call(method, argumentsJson, Thread.currentThread().getName()));
            return answer.apply(method, argumentsJson);
        }
    }

    @BeforeAll
    static void start() {
        runtime = new BotRuntime(new BotRuntime.Settings(4, 4));
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static RunResult run(HostBridge bridge, String body) {
        return runtime.run(code("exports.handler = async (medplum, event) => {\n" + body + "\n};"), "{}", bridge, Bots.LIMITS);
    }

    @Test
    void each_method_sends_its_normalised_arguments() {
        var bridge = new FakeBridge((method, json) -> switch (method) {
            case "search" -> "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[]}";
            case "deleteResource" -> null;
            default -> "{\"resourceType\":\"Patient\",\"id\":\"1\"}";
        });
        var result = run(bridge, """
                const patient = {resourceType: 'Patient', name: [{family: 'Ng'}]};
                await medplum.createResource(patient, {cache: 'no-cache'});
                await medplum.createResourceIfNoneExist(patient, 'identifier=http://x|1');
                await medplum.readResource('Patient', '1');
                await medplum.readReference({reference: 'Patient/2', display: 'ignored'});
                await medplum.updateResource({...patient, id: '1'});
                await medplum.upsertResource(patient, {identifier: 'http://x|1', _count: 5, skipped: undefined, tag: ['a', 'b']});
                await medplum.patchResource('Patient', '1', [{op: 'replace', path: '/active', value: true}]);
                const deleted = await medplum.deleteResource('Patient', '1');
                await medplum.search('Patient', new URLSearchParams({name: 'Ng'}));
                await medplum.search('Patient', '?name=Ng');
                await medplum.search('Patient');
                await medplum.searchOne('Patient', [['name', 'Ng'], ['_count', '20']]);
                await medplum.searchResources('Patient', {name: 'Ng'});
                await medplum.executeBot('bot-id', {a: 1}, 'application/json');
                await medplum.executeBot({system: 'https://x', value: 'b'}, 'text body');
                await medplum.createBinary('hello', 'hello.txt', 'text/plain');
                await medplum.createBinary({data: new Uint8Array([0, 255]), contentType: 'application/octet-stream',
                  securityContext: {reference: 'Patient/1'}});
                return String(deleted);
                """);
        assertThat(text(result)).isEqualTo("undefined");
        assertThat(bridge.calls).extracting(Call::method).allMatch(HostBridge.METHODS::contains);
        assertThat(bridge.calls).extracting(c -> c.method() + " " + c.json()).containsExactly(
                "createResource [{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Ng\"}]}]",
                "createResourceIfNoneExist [{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Ng\"}]},\"identifier=http://x|1\"]",
                "readResource [\"Patient\",\"1\"]",
                "readResource [\"Patient\",\"2\"]",
                "updateResource [{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Ng\"}],\"id\":\"1\"}]",
                "upsertResource [{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Ng\"}]},\"identifier=http%3A%2F%2Fx%7C1&_count=5&tag=a&tag=b\"]",
                "patchResource [\"Patient\",\"1\",[{\"op\":\"replace\",\"path\":\"/active\",\"value\":true}]]",
                "deleteResource [\"Patient\",\"1\"]",
                "search [\"Patient\",\"name=Ng\"]",
                "search [\"Patient\",\"name=Ng\"]",
                "search [\"Patient\",\"\"]",
                "search [\"Patient\",\"name=Ng&_count=1\"]",
                "search [\"Patient\",\"name=Ng\"]",
                "executeBot [\"bot-id\",{\"a\":1},\"application/json\"]",
                "executeBot [{\"system\":\"https://x\",\"value\":\"b\"},\"text body\",null]",
                "createBinary [{\"resourceType\":\"Binary\",\"contentType\":\"text/plain\",\"data\":\"aGVsbG8=\"},\"hello.txt\"]",
                "createBinary [{\"resourceType\":\"Binary\",\"contentType\":\"application/octet-stream\",\"data\":\"AP8=\","
                        + "\"securityContext\":{\"reference\":\"Patient/1\"}},null]");
        assertThat(bridge.calls).extracting(Call::thread).allMatch(name -> name.startsWith("bot-run-"));
    }

    @Test
    void answers_resolve_as_parsed_json() {
        var bundle = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":["
                + "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"a\"}},{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"b\"}}]}";
        var bridge = new FakeBridge((method, json) -> switch (method) {
            case "search" -> json.contains("none") ? "{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}" : bundle;
            case "createBinary" -> "{\"resourceType\":\"Binary\",\"id\":\"bin1\",\"contentType\":\"text/plain\"}";
            case "executeBot" -> "\"a string result\"";
            default -> "{\"resourceType\":\"Invoice\",\"id\":\"inv1\",\"total\":{\"value\":12.50}}";
        });
        assertThat(text(run(bridge, """
                const created = await medplum.createResource({resourceType: 'Invoice'});
                const list = await medplum.searchResources('Patient', 'name=x');
                const one = await medplum.searchOne('Patient', 'name=x');
                const none = await medplum.searchOne('Patient', 'name=none');
                const empty = await medplum.searchResources('Patient', 'name=none');
                const bundle = await medplum.search('Patient');
                const attachment = await medplum.createAttachment({data: 'hi', contentType: 'text/plain', filename: 'hi.txt'});
                const other = await medplum.executeBot('b', {});
                return [created.id, created.total.value, list.map((p) => p.id).join('+'), list.bundle.entry.length,
                  Object.keys(list).join(','), one.id, String(none), empty.length, bundle.type, JSON.stringify(attachment), other].join(' ');
                """))).isEqualTo("inv1 12.5 a+b 2 0,1 a undefined 0 searchset "
                + "{\"contentType\":\"text/plain\",\"url\":\"Binary/bin1\",\"title\":\"hi.txt\"} a string result");
    }

    @Test
    void a_failed_call_rejects_with_the_outcome_on_the_error() {
        var outcome = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"forbidden\","
                + "\"details\":{\"text\":\"Forbidden\"}}]}";
        HostBridge bridge = (method, json) -> {
            throw new HostCallException("Forbidden", outcome);
        };
        assertThat(text(run(bridge, """
                try {
                  await medplum.readResource('Observation', '1');
                  return 'no error';
                } catch (err) {
                  return [err instanceof Error, err.name, err.message, err.outcome.resourceType, err.outcome.issue[0].code].join(' ');
                }
                """))).isEqualTo("true OperationOutcomeError Forbidden OperationOutcome forbidden");
    }

    @Test
    void an_uncaught_failed_call_fails_the_run_with_its_message() {
        HostBridge bridge = (method, json) -> {
            throw new HostCallException("Not found", null);
        };
        var failed = failed(run(bridge, "return await medplum.readResource('Patient', 'missing');"));
        assertThat(failed.reason()).isEqualTo(RunResult.Failure.ERROR);
        assertThat(failed.message()).isEqualTo("Not found");
        assertThat(failed.log()).startsWith("Unhandled error: Not found\nOperationOutcomeError: Not found");
    }

    @Test
    void a_host_bug_reaches_the_bot_without_its_details() {
        HostBridge bridge = (method, json) -> {
            throw new IllegalStateException("jdbc:postgresql://secret-host/db password=hunter2");
        };
        assertThat(text(run(bridge, """
                try { await medplum.createResource({resourceType: 'Patient'}); } catch (err) { return err.message + ' ' + err.outcome; }
                """))).isEqualTo("medplum.createResource failed: internal error undefined");
    }

    @Test
    void local_mistakes_reject_without_a_call() {
        var bridge = new FakeBridge((method, json) -> "{}");
        assertThat(text(run(bridge, """
                const errors = [];
                for (const ref of [undefined, {}, {reference: 'Patient'}]) {
                  try { await medplum.readReference(ref); } catch (err) { errors.push(err.outcome.issue[0].details.text); }
                }
                const cyclic = {resourceType: 'Patient'}; cyclic.self = cyclic;
                try { await medplum.createResource(cyclic); } catch (err) { errors.push(err.name); }
                return errors.join(' | ');
                """))).isEqualTo("Call to readReference without reference | Call to readReference without reference"
                + " | Invalid reference: Patient | TypeError");
        assertThat(bridge.calls).isEmpty();
    }

    @Test
    void host_allocation_does_not_count_against_the_bot() {
        HostBridge hungry = (method, json) -> {
            var waste = new byte[40 * 1024 * 1024];
            return "{\"size\":" + waste.length + "}";
        };
        var limits = new RunLimits(java.time.Duration.ofSeconds(10), 64L * 1024 * 1024, 4096, 4096);
        var result = runtime.run(code("exports.handler = async (medplum) => {\n"
                + "  let total = 0;\n"
                + "  for (let i = 0; i < 5; i++) total += (await medplum.readResource('Binary', String(i))).size;\n"
                + "  return total;\n};"), "{}", hungry, limits);
        assertThat(Bots.returned(result)).isEqualTo(new ReturnValue.Number(Long.toString(5L * 40 * 1024 * 1024)));
    }
}
