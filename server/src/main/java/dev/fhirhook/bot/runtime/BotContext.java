package dev.fhirhook.bot.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.io.IOAccess;
import org.graalvm.polyglot.proxy.ProxyArray;
import org.graalvm.polyglot.proxy.ProxyExecutable;
import org.graalvm.polyglot.proxy.ProxyObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One polyglot context with the prelude installed and, after its first run, one bot version's module loaded.
 * Used by one run at a time (the pool hands it out exclusively); closed after any run that did not end
 * cleanly. The only host functions it can reach are the {@code host} object given to the prelude.
 */
final class BotContext implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BotContext.class);

    private static final Source PRELUDE = prelude();
    private static final ShimModules SHIMS = new ShimModules();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HostAccess HOST_ACCESS = HostAccess.newBuilder(HostAccess.CONSTRAINED)
            .allowBufferAccess(true) // Java returns bytes as a ByteBuffer that JS copies from; nothing else is exposed
            .build();
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNestingDepth(1000)
                            .build())
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    private static final java.util.regex.Pattern STATEMENT_LIMIT =
            java.util.regex.Pattern.compile("^Statement count limit of (\\d+) exceeded");
    /** Error messages crossing into a reply are cut to this (a bot can throw a 100 MB string). */
    static final int MAX_MESSAGE_CHARS = 10_000;

    static final String NEVER_SETTLES = "The handler's Promise never settles: nothing is left that could settle it "
            + "(no timers, no pending medplum calls)";

    final String botId;
    final String version;
    private final Context context;
    private final Value open;
    private final Value loadCommonJs;
    private final Value loadEsm;
    private final Value start;
    private final Value step;
    private final Value finish;
    private volatile RunControl current;
    private boolean loaded;
    /**
     * What this context's runs have allocated since it was made, its own loading included: an upper bound on the
     * heap it can keep between runs (module state). Written by the worker that holds the context, read by the
     * {@link ContextPool} after {@code give}.
     */
    long allocatedBytes;

    /** What a run produced: a value, or a failure with its message. */
    record Attempt(ReturnValue value, RunResult.Failure failure, String message) {
        static Attempt returned(ReturnValue value) {
            return new Attempt(value, null, null);
        }

        static Attempt failed(RunResult.Failure failure, String message) {
            return new Attempt(null, failure, message);
        }

        boolean succeeded() {
            return failure == null;
        }
    }

    private BotContext(String botId, String version, Context context) {
        this.botId = botId;
        this.version = version;
        this.context = context;
        Value runner = context.eval(PRELUDE).execute(ProxyObject.fromMap(hostFunctions()));
        this.open = runner.getMember("open");
        this.loadCommonJs = runner.getMember("loadCommonJs");
        this.loadEsm = runner.getMember("loadEsm");
        this.start = runner.getMember("start");
        this.step = runner.getMember("step");
        this.finish = runner.getMember("finish");
    }

    /** A fresh context with the prelude; the bot's module is loaded by its first run. */
    static BotContext create(Engine engine, ResourceLimits limits, String botId, String version) {
        var context = newContext(engine, limits);
        try {
            return new BotContext(botId, version, context);
        } catch (RuntimeException e) {
            closeQuietly(context);
            throw e;
        }
    }

    /**
     * The longest string a bot may build, in characters: the engine refuses a longer one with Node's
     * {@code RangeError: Invalid string length} in its builtins (JSON.stringify, join, concatenation, repeat), before
     * it is allocated; the prelude bounds replace and replaceAll, which skip that check, first. A quarter of the
     * default run budget in UTF-16, as for buffers ({@link RunLimits#maxBufferBytes}). The watchdog cannot stop a
     * builtin halfway: without this, one JSON.stringify could take gigabytes in one step, and a few at once ended the
     * JVM. Strings the host passes in (a body) may be longer; they can be read, parsed and sliced, but not
     * concatenated into longer ones.
     */
    static final int MAX_STRING_CHARS = (int) (RunLimits.DEFAULT_MAX_ALLOCATED_BYTES / 4 / 2);

    /**
     * The sandbox: no host classes, IO only through {@link ShimModules}, no threads, processes, environment, native
     * access or other languages; nothing printed anywhere (console is ours); at most {@link #MAX_STRING_CHARS} in a
     * string. The policy is TRUSTED only because the string limit is an experimental option, which CONSTRAINED
     * forbids; everything else is {@link #sandboxed}, which CONSTRAINED accepts (BotSandboxPolicyTest builds it so).
     */
    static Context newContext(Engine engine, ResourceLimits limits) {
        return sandboxed(engine, SandboxPolicy.TRUSTED, limits)
                .allowExperimentalOptions(true)
                .option("js.string-length-limit", Integer.toString(MAX_STRING_CHARS))
                .build();
    }

    /** The context's restrictions under {@code policy}, which must be its engine's. */
    static Context.Builder sandboxed(Engine engine, SandboxPolicy policy, ResourceLimits limits) {
        var builder = Context.newBuilder("js")
                .engine(engine)
                .sandbox(policy)
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                .in(InputStream.nullInputStream())
                .allowHostAccess(HOST_ACCESS)
                // No allowHostClassLookup at all: even a deny-all filter would install `Java` and the package globals.
                .allowHostClassLoading(false)
                .allowIO(IOAccess.newBuilder().fileSystem(SHIMS).build())
                .allowCreateThread(false)
                .allowCreateProcess(false)
                .allowNativeAccess(false)
                .allowEnvironmentAccess(EnvironmentAccess.NONE)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .option("js.console", "false")
                .option("js.print", "false")
                .option("js.load", "false")
                .option("js.graal-builtin", "false")
                .option("js.text-encoding", "true")
                .option("js.performance", "true")
                .option("js.esm-eval-returns-exports", "true");
        if (limits != null) builder.resourceLimits(limits);
        return builder;
    }

    static Engine newEngine() {
        return newEngine(SandboxPolicy.TRUSTED);
    }

    static Engine newEngine(SandboxPolicy policy) {
        return Engine.newBuilder("js")
                .sandbox(policy)
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                .option("engine.WarnInterpreterOnly", "false")
                .build();
    }

    /**
     * Loads the module if this context has not yet, calls the handler and drives its Promise and timers to the
     * end, within the run's bounds. Runs on the run's worker thread.
     */
    Attempt run(BotCode code, BotEvent event, RunControl control) {
        current = control;
        var limits = control.limits;
        try {
            context.resetLimits();
            if (!loaded) {
                open.execute(limits.maxLogChars(), limits.maxResultChars(), limits.maxBufferBytes());
                var failure = load(code, control);
                if (failure != null) return failure;
                loaded = true;
            }
            start.execute(event.json(), event.jsonBody(), limits.maxLogChars(), limits.maxResultChars(),
                    limits.maxBufferBytes());
            while (true) {
                double next = step.execute().asDouble();
                if (next == -1) break;
                if (next == -2) return Attempt.failed(RunResult.Failure.TIMEOUT, NEVER_SETTLES);
                if (next > 0) {
                    long wait = Math.min(TimeUnit.MICROSECONDS.toNanos((long) (next * 1000)), control.remainingNanos());
                    if (wait > 0) LockSupport.parkNanos(wait);
                }
                var cancelled = control.cancellation();
                if (cancelled != null) return Attempt.failed(cancelled.reason(), cancelled.message());
                if (control.remainingNanos() <= 0) {
                    control.timeOut(false);
                    return Attempt.failed(RunResult.Failure.TIMEOUT, timeoutMessage(limits));
                }
            }
            return outcome(finish.execute());
        } catch (PolyglotException e) {
            return failure(e, control);
        } catch (IllegalStateException e) {
            // the context was closed under us by a cancellation
            var cancelled = control.cancellation();
            if (cancelled != null) return Attempt.failed(cancelled.reason(), cancelled.message());
            throw e;
        } catch (OutOfMemoryError e) {
            return Attempt.failed(RunResult.Failure.MEMORY, memoryMessage(limits));
        } finally {
            current = null;
        }
    }

    private Attempt load(BotCode code, RunControl control) {
        var type = ModuleType.of(code.filename(), code.source());
        Value evaluated = context.eval(type.source(code.source(), code.filename()));
        Value failure = type == ModuleType.ESM
                ? loadEsm.execute(evaluated)
                : loadCommonJs.execute(evaluated, code.filename() == null ? "bot.js" : code.filename());
        return failure.isNull() ? null : failed(failure);
    }

    private Attempt outcome(Value result) {
        var kind = result.getArrayElement(0).asString();
        return switch (kind) {
            case "undefined" -> Attempt.returned(new ReturnValue.Undefined());
            case "text" -> Attempt.returned(new ReturnValue.Text(result.getArrayElement(1).asString()));
            case "number" -> Attempt.returned(new ReturnValue.Number(result.getArrayElement(1).asString()));
            case "json" -> {
                try {
                    yield Attempt.returned(new ReturnValue.Json(JSON.readTree(result.getArrayElement(1).asString())));
                } catch (com.fasterxml.jackson.core.JacksonException e) {
                    yield Attempt.failed(RunResult.Failure.RESULT, "The return value cannot be read as JSON: "
                            + e.getOriginalMessage());
                }
            }
            default -> failed(result);
        };
    }

    private static Attempt failed(Value failure) {
        var kind = failure.getArrayElement(0).asString();
        var message = cut(failure.getArrayElement(1).asString());
        return Attempt.failed(switch (kind) {
            case "stack" -> RunResult.Failure.STACK;
            case "result" -> RunResult.Failure.RESULT;
            default -> RunResult.Failure.ERROR;
        }, message);
    }

    /** Exceptions that left guest code: a cancellation (its reason wins), a limit, or an error at load. */
    private Attempt failure(PolyglotException e, RunControl control) {
        var cancelled = control.cancellation();
        if (cancelled != null) return Attempt.failed(cancelled.reason(), cancelled.message());
        var message = e.getMessage() == null ? "" : e.getMessage();
        if (e.isResourceExhausted()) {
            var statements = STATEMENT_LIMIT.matcher(message);
            if (statements.find()) {
                return Attempt.failed(RunResult.Failure.TIMEOUT, "The bot ran more than " + statements.group(1) + " statements");
            }
            return Attempt.failed(RunResult.Failure.MEMORY, memoryMessage(control.limits));
        }
        if (e.isCancelled() || e.isInterrupted()) {
            return Attempt.failed(RunResult.Failure.ERROR, "The run was cancelled");
        }
        if (e.isGuestException()) {
            // Errors while loading an ES module or parsing code that was never checked; CommonJS and handler
            // errors are caught in JS and logged there.
            var text = cut(message.lines().findFirst().orElse(""));
            control.log.add("error", "Unhandled error: " + text);
            control.log.add("error", "Error " + text);
            if (message.startsWith("RangeError: Maximum call stack size exceeded")) {
                return Attempt.failed(RunResult.Failure.STACK, text);
            }
            return Attempt.failed(RunResult.Failure.ERROR, text);
        }
        LOG.warn("Bot {} version {}: internal error in the sandbox", botId, version, e);
        return Attempt.failed(RunResult.Failure.ERROR, "Internal error in the bot sandbox");
    }

    static String timeoutMessage(RunLimits limits) {
        return "The bot did not finish within " + limits.timeout().toMillis() + " ms";
    }

    static String memoryMessage(RunLimits limits) {
        return "The bot allocated more than " + (limits.maxAllocatedBytes() / (1024 * 1024)) + " MiB";
    }

    private static String cut(String message) {
        return message.length() <= MAX_MESSAGE_CHARS ? message : message.substring(0, MAX_MESSAGE_CHARS) + "…";
    }

    Context polyglotContext() {
        return context;
    }

    @Override
    public void close() {
        closeQuietly(context);
    }

    static void closeQuietly(Context context) {
        try {
            context.close(true);
        } catch (RuntimeException e) {
            // already closed or cancelled: either way it is gone
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The host functions, the whole surface a bot can reach in Java. Inputs come from the prelude.

    /**
     * Whether the current run was cancelled; one past its deadline is cancelled here as TIMEOUT, without waiting
     * for the watchdog's next look. The prelude asks from inside long builtin steps, which cancelling cannot stop.
     */
    private boolean stopped() {
        var run = current;
        if (run == null) return false;
        if (run.cancellation() == null && run.remainingNanos() <= 0) run.timeOut(false);
        return run.cancellation() != null;
    }

    private Map<String, Object> hostFunctions() {
        return Map.ofEntries(
                Map.entry("log", (ProxyExecutable) this::log),
                Map.entry("call", (ProxyExecutable) this::call),
                Map.entry("digest", (ProxyExecutable) BotContext::digest),
                Map.entry("hmac", (ProxyExecutable) BotContext::hmac),
                Map.entry("random", (ProxyExecutable) args -> {
                    var bytes = new byte[args[0].asInt()];
                    RANDOM.nextBytes(bytes);
                    return ByteBuffer.wrap(bytes);
                }),
                Map.entry("uuid", (ProxyExecutable) args -> UUID.randomUUID().toString()),
                Map.entry("encode", (ProxyExecutable) args -> Codecs.encode(bytes(args[0], args[1], args[2]), args[3].asString())),
                Map.entry("decode", (ProxyExecutable) args -> ByteBuffer.wrap(Codecs.decode(args[0].asString(), args[1].asString()))),
                Map.entry("transcode", (ProxyExecutable) args ->
                        Codecs.encode(Codecs.decode(args[0].asString(), args[1].asString()), args[2].asString())),
                Map.entry("stopped", (ProxyExecutable) args -> stopped()),
                Map.entry("maxStringChars", MAX_STRING_CHARS));
    }

    private Object log(Value... args) {
        var run = current;
        if (run != null) run.log.add(args[0].asString(), args[1].asString());
        return null;
    }

    /** [true, resultJson] or [false, message, outcomeJson]. */
    private Object call(Value... args) {
        var run = current;
        var method = args[0].asString();
        if (run == null) return ProxyArray.fromArray(false, "medplum." + method + " is not available outside a run", null);
        var json = args[1].asString();
        try {
            return ProxyArray.fromArray(true, run.asHost(() -> run.bridge.call(method, json)));
        } catch (HostCallException e) {
            return ProxyArray.fromArray(false, e.getMessage(), e.outcomeJson());
        } catch (RuntimeException e) {
            LOG.warn("Bot {}: medplum.{} failed in the host", botId, method, e);
            return ProxyArray.fromArray(false, "medplum." + method + " failed: internal error", null);
        }
    }

    private static Object digest(Value... args) {
        try {
            var digest = MessageDigest.getInstance(javaHash(args[0].asString()));
            return ByteBuffer.wrap(digest.digest(bytes(args[1], args[2], args[3])));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Digest method not supported");
        }
    }

    private static Object hmac(Value... args) {
        try {
            var algorithm = "Hmac" + javaHash(args[0].asString()).replace("-", "");
            var key = bytes(args[1], args[2], args[3]);
            // An empty key is legal in HMAC and Node; zero-padding makes it equal to one zero byte, which
            // SecretKeySpec accepts.
            var mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, algorithm));
            return ByteBuffer.wrap(mac.doFinal(bytes(args[4], args[5], args[6])));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("Digest method not supported");
        }
    }

    private static String javaHash(String name) {
        return switch (name) {
            case "md5" -> "MD5";
            case "sha1" -> "SHA-1";
            case "sha256" -> "SHA-256";
            case "sha384" -> "SHA-384";
            case "sha512" -> "SHA-512";
            default -> throw new IllegalArgumentException("Digest method not supported");
        };
    }

    /**
     * The bytes of {@code arrayBuffer[offset, offset + length)}. The bounds come from JS, where a bot could fake
     * a view's {@code byteLength}: check them against the real buffer before allocating anything.
     */
    private static byte[] bytes(Value arrayBuffer, Value offset, Value length) {
        long from = offset.asLong();
        long count = length.asLong();
        if (from < 0 || count < 0 || from + count > arrayBuffer.getBufferSize()) {
            throw new IndexOutOfBoundsException("byte range outside its buffer");
        }
        var out = new byte[(int) count];
        if (out.length > 0) arrayBuffer.readBuffer(from, out, 0, out.length);
        return out;
    }

    private static Source prelude() {
        try (var in = BotContext.class.getResourceAsStream("prelude.js")) {
            if (in == null) throw new IllegalStateException("prelude.js is missing from the classpath");
            var text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return Source.newBuilder("js", text, "fhirhook-prelude.js").internal(true).cached(true).buildLiteral();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
