package dev.fhirhook.bot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestBot;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hostile and broken bots through HTTP: each is contained (a 400 with a reason, an AuditEvent with outcome 4),
 * and afterwards the server answers {@code /healthcheck} and an ordinary bot runs normally.
 */
class BotHostileTest {
    static TestProject project;
    static TestBot healthy;

    @BeforeAll
    static void setUp() {
        project = TestServer.get().newProject();
        healthy = TestBot.create(project).deploy("exports.handler = async (m, e) => 'fine:' + e.input.n;");
    }

    static void assertServerHealthy() {
        assertThat(TestServer.get().anonymous().get("/healthcheck").status()).isEqualTo(200);
        var reply = healthy.executeJson("{\"n\":7}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.body()).isEqualTo("fine:7");
    }

    static TestBot hostile(String code) {
        return TestBot.create(project, "\"timeout\":1", "[{\"resourceType\":\"Invoice\"}]").deploy(code);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            throws a string             | exports.handler = async () => { throw 'plain string'; };                       | plain string
            throws an Error             | exports.handler = async () => { throw new Error('boom'); };                    | boom
            throws an OperationOutcome  | exports.handler = async () => { throw {resourceType:'OperationOutcome',issue:[{severity:'error',code:'invalid',details:{text:'bad thing'}}]}; }; | bad thing
            loops forever               | exports.handler = async () => { while (true) {} };                             | 
            never settles               | exports.handler = () => new Promise(() => {});                                 | 
            allocates without end       | exports.handler = async () => { const a = []; while (true) a.push(new Array(100000).fill('x' + a.length)); }; | 
            recurses without end        | exports.handler = async () => { const f = (n) => f(n + 1) + 1; return f(0); }; | 
            returns a cyclic object     | exports.handler = async () => { const o = {}; o.self = o; return o; };        | 
            returns 100 MB              | exports.handler = async () => 'x'.repeat(100 * 1024 * 1024);                   | 
            reaches for Java            | exports.handler = async () => Java.type('java.lang.System').exit(1);          | 
            reaches for Polyglot        | exports.handler = async () => Polyglot.eval('js', '1');                        | 
            calls load                  | exports.handler = async () => load('/etc/passwd');                             | 
            requires fs                 | exports.handler = async () => require('fs').readFileSync('/etc/passwd', 'utf8'); | fs
            requires child_process      | exports.handler = async () => require('child_process').execSync('id').toString(); | child_process
            """)
    void a_hostile_bot_fails_cleanly_and_the_server_stays_healthy(String name, String code, String message) {
        var bot = hostile(code);
        long start = System.nanoTime();
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).as(name + ": " + reply).isEqualTo(400);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        if (message != null) assertThat(reply.outcomeText()).contains(message);
        assertThat((System.nanoTime() - start) / 1_000_000).as("contained within the 1 s timeout and its margin").isLessThan(15_000);
        var audit = BotExecuteTest.firstAuditOf(project, bot);
        assertThat(audit.path("outcome").asText()).isEqualTo("4");
        assertServerHealthy();
    }

    @Test
    void the_environment_is_empty_and_the_global_object_leads_nowhere() {
        var bot = hostile("""
                exports.handler = async () => ({
                  env: Object.keys(process.env).length,
                  java: typeof Java, polyglot: typeof Polyglot, packages: typeof Packages,
                  viaFunction: typeof Function('return this')().Java,
                  viaConstructor: typeof ({}).constructor.constructor('return this')().Java });
                """);
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("env").asInt()).isZero();
        assertThat(reply.json().path("java").asText()).isEqualTo("undefined");
        assertThat(reply.json().path("polyglot").asText()).isEqualTo("undefined");
        assertThat(reply.json().path("packages").asText()).isEqualTo("undefined");
        assertThat(reply.json().path("viaFunction").asText()).isEqualTo("undefined");
        assertThat(reply.json().path("viaConstructor").asText()).isEqualTo("undefined");
    }

    @Test
    void a_bot_reading_a_type_outside_its_policy_gets_403_inside_the_bot_and_its_run_is_audited_as_failed() {
        var own = TestServer.get().newProject();
        var bot = TestBot.create(own, "", "[{\"resourceType\":\"Invoice\"},{\"resourceType\":\"Account\"}]").deploy("""
                exports.handler = async (medplum) => {
                  try {
                    await medplum.searchResources('Patient', 'name=x');
                  } catch (err) {
                    console.log('refused with', err.outcome.issue[0].code);
                    throw err;
                  }
                  return 'read patients';
                };
                """);
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        var audit = BotExecuteTest.firstAuditOf(own, bot);
        assertThat(audit.path("outcome").asText()).isEqualTo("4");
        assertThat(audit.path("outcomeDesc").asText()).contains("refused with forbidden");
    }

    @Test
    void a_bot_calling_itself_through_execute_bot_is_stopped_at_the_nesting_limit() {
        var bot = TestBot.create(project, "\"timeout\":5", "[{\"resourceType\":\"Bot\",\"readonly\":true}]");
        bot.deploy("exports.handler = async (medplum, event) => medplum.executeBot('" + bot.id() + "', {}, 'application/json');");
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).contains("at most " + BotExecutor.MAX_NESTING + " deep");
        assertServerHealthy();
    }

    @Test
    void past_the_per_bot_cap_runs_are_refused_with_429_and_retry_after() throws Exception {
        var shared = TestServer.get().server().database();
        try (var capped = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-capped-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres",
                "bot-max-concurrency", "4", "bot-max-concurrency-per-bot", "1")), Clock.systemUTC())) {
            var slow = TestBot.create(project).deploy("exports.handler = async () => { await new Promise(r => setTimeout(r, 1500)); return 'slow'; };");
            var api = new Api(capped.baseUrl(), project.clientId(), project.secret());
            try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                var replies = new ArrayList<Future<Api.Reply>>();
                for (int i = 0; i < 3; i++) {
                    replies.add(threads.submit(() -> api.raw("POST", "/fhir/R4/Bot/" + slow.id() + "/$execute", "application/json", "{}".getBytes())));
                }
                int ok = 0;
                int refused = 0;
                for (var future : replies) {
                    var reply = future.get();
                    if (reply.status() == 200) ok++;
                    if (reply.status() == 429) {
                        refused++;
                        assertThat(reply.header("Retry-After")).isEqualTo("1");
                        assertThat(reply.json().path("id").asText()).isEqualTo("too-many-requests");
                    }
                }
                assertThat(ok).isEqualTo(1);
                assertThat(refused).isEqualTo(2);
            }
        }
    }
}
