package dev.fhirhook.bot.runtime;

import static dev.fhirhook.bot.runtime.Bots.code;
import static dev.fhirhook.bot.runtime.Bots.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** require('crypto') and require('buffer'): what bundled vendor SDKs use to verify webhook signatures. */
class SandboxCryptoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static BotRuntime runtime;

    @BeforeAll
    static void start() {
        runtime = new BotRuntime(new BotRuntime.Settings(4, 4));
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    private static String run(String source, JsonNode event) {
        return text(runtime.run(code(source), event.toString(), HostBridge.NONE, Bots.LIMITS));
    }

    private static String body(String body) {
        return text(Bots.run(runtime, "const crypto = require('crypto');\n"
                + "exports.handler = async (medplum, event) => {\n" + body + "\n};"));
    }

    /** The shared catalog beside the worktree ({@code ../shared/spec/}), looked for in every ancestor directory. */
    private static JsonNode stripeVector() throws Exception {
        for (var dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            var file = dir.resolve("shared/spec/webhook-vectors.json");
            if (Files.isRegularFile(file)) {
                for (var vector : JSON.readTree(file.toFile())) {
                    if (vector.path("provider").asText().equals("Stripe") && vector.path("expect").asText().equals("valid")) {
                        return vector;
                    }
                }
            }
        }
        throw new IllegalStateException("no valid Stripe vector found in shared/spec/webhook-vectors.json");
    }

    @Test
    void hmac_sha256_of_a_stripe_vector_matches_its_signature_and_javas_mac() throws Exception {
        var vector = stripeVector();
        var secret = vector.path("secret").asText();
        var header = vector.path("headers").path("Stripe-Signature").asText();
        var timestamp = header.replaceAll(".*t=(\\d+).*", "$1");
        var expected = header.replaceAll(".*v1=([0-9a-f]+).*", "$1");
        var event = JsonNodeFactory.instance.objectNode()
                .put("secret", secret).put("timestamp", timestamp).put("body", vector.path("body").asText());

        var computed = run("""
                const { createHmac } = require('crypto');
                exports.handler = async (medplum, event) =>
                  createHmac('sha256', event.secret).update(event.timestamp + '.' + event.body, 'utf8').digest('hex');
                """, event);

        var mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        var java = HexFormat.of().formatHex(mac.doFinal((timestamp + "." + vector.path("body").asText()).getBytes(StandardCharsets.UTF_8)));
        assertThat(computed).isEqualTo(expected).isEqualTo(java);
    }

    @Test
    void a_stripe_style_verification_with_timing_safe_equal() throws Exception {
        var vector = stripeVector();
        var event = JsonNodeFactory.instance.objectNode()
                .put("secret", vector.path("secret").asText())
                .put("header", vector.path("headers").path("Stripe-Signature").asText())
                .put("body", vector.path("body").asText());
        assertThat(run("""
                const crypto = require('node:crypto');
                exports.handler = async (medplum, { secret, header, body }) => {
                  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=')));
                  const expected = crypto.createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
                  const given = Buffer.from(parts.v1, 'hex');
                  const tampered = crypto.createHmac('sha256', secret).update(`${parts.t}.${body} `).digest();
                  return [crypto.timingSafeEqual(expected, given), crypto.timingSafeEqual(tampered, given)].join(' ');
                };
                """, event)).isEqualTo("true false");
    }

    @Test
    void hashes_match_javas_message_digest() throws Exception {
        var input = "héllo wörld € \uD83D\uDE00";
        var expected = new StringBuilder();
        for (var algorithm : new String[] {"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"}) {
            var digest = MessageDigest.getInstance(algorithm).digest(input.getBytes(StandardCharsets.UTF_8));
            expected.append(HexFormat.of().formatHex(digest)).append(' ');
        }
        var event = JsonNodeFactory.instance.objectNode().put("input", input);
        assertThat(run("""
                const crypto = require('crypto');
                exports.handler = async (medplum, event) =>
                  ['md5', 'sha1', 'SHA256', 'RSA-SHA384', 'sha-512'].map((a) => crypto.createHash(a).update(event.input).digest('hex') + ' ').join('');
                """, event)).isEqualTo(expected.toString());
    }

    @Test
    void updates_in_pieces_of_any_byte_form_equal_one_update() throws Exception {
        var expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest("abcdef".getBytes(StandardCharsets.UTF_8)));
        assertThat(body("""
                const pieces = crypto.createHash('sha256').update('ab').update(Buffer.from('cd')).update(new Uint8Array([101]))
                  .update('66', 'hex').digest('hex');
                const offsetView = new Uint8Array([0, 97, 98, 99, 100, 101, 102, 0]).subarray(1, 7);
                return pieces + ' ' + crypto.createHash('sha256').update(offsetView).digest('hex');
                """)).isEqualTo(expected + " " + expected);
    }

    @Test
    void digest_encodings_and_buffer_results() throws Exception {
        var mac = Mac.getInstance("HmacSHA512");
        mac.init(new SecretKeySpec(new byte[] {1, 2, 3}, "HmacSHA512"));
        var bytes = mac.doFinal("payload".getBytes(StandardCharsets.UTF_8));
        var expected = String.join(" ", Base64.getEncoder().encodeToString(bytes),
                Base64.getUrlEncoder().withoutPadding().encodeToString(bytes), "64", "true",
                HexFormat.of().formatHex(bytes));
        assertThat(body("""
                const key = Buffer.from([1, 2, 3]);
                const h = () => crypto.createHmac('sha512', key).update('payload');
                const buffer = h().digest();
                return [h().digest('base64'), h().digest('base64url'), buffer.length, Buffer.isBuffer(buffer), buffer.toString('hex')].join(' ');
                """)).isEqualTo(expected);
    }

    @Test
    void hmac_with_an_empty_key_matches_the_known_value() {
        // HMAC-SHA256("", ""), the well-known value; Java's SecretKeySpec refuses empty keys.
        assertThat(body("return crypto.createHmac('sha256', '').update('').digest('hex');"))
                .isEqualTo("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    }

    @Test
    void misuse_fails_like_node() {
        assertThat(body("""
                const errors = [];
                const attempt = (f) => { try { f(); errors.push('ok'); } catch (e) { errors.push(e.name + ': ' + e.message); } };
                attempt(() => crypto.createHash('whirlpool'));
                const h = crypto.createHash('sha1'); h.digest();
                attempt(() => h.digest());
                attempt(() => crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')));
                attempt(() => crypto.createHash('sha1').update(42));
                return errors.join(' | ');
                """)).isEqualTo("Error: Digest method not supported: whirlpool | Error: Digest already called"
                + " | RangeError: Input buffers must have the same byte length"
                + " | TypeError: The \"data\" argument must be of type string or an instance of Buffer, TypedArray, or DataView.");
    }

    @Test
    void random_uuid_and_bytes() {
        var result = body("""
                const a = crypto.randomBytes(32), b = crypto.randomBytes(32);
                const values = crypto.getRandomValues(new Uint32Array(4));
                return [crypto.randomUUID(), a.length, a.equals(b), values.some((v) => v !== 0), crypto.getHashes().includes('sha256')].join(' ');
                """);
        assertThat(result).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} 32 false true true");
    }

    @Test
    void buffer_conversions_between_encodings() {
        assertThat(body("""
                const { Buffer } = require('buffer');
                const b = Buffer.from('héllo €', 'utf8');
                return [b.length, b.toString('hex'), b.toString('base64'), Buffer.from('aOk/+w==', 'base64').toString('base64url'),
                  Buffer.from('aOk_-w', 'base64url').toString('hex'), Buffer.from(b.toString('base64'), 'base64').toString(),
                  Buffer.from(' aGVs\\nbG8= ', 'base64').toString(), Buffer.from('48656c6c6fzz', 'hex').toString(),
                  Buffer.from('abc', 'latin1').toString('hex'), Buffer.from([0xe9]).toString('latin1'),
                  Buffer.byteLength('€'), Buffer.byteLength('aGVsbG8=', 'base64'), Buffer.from('hi', 'utf16le').toString('hex'),
                  Buffer.isEncoding('UTF-8'), Buffer.isEncoding('nope')].join(' ');
                """)).isEqualTo("10 68c3a96c6c6f20e282ac aMOpbGxvIOKCrA== aOk_-w 68e93ffb héllo € hello Hello 616263 é 3 5 68006900 true false");
    }

    @Test
    void buffer_from_arrays_views_concat_equals_indexing() {
        assertThat(body("""
                const a = Buffer.from([104, 105, 256 + 33]);
                const copy = Buffer.from(a);
                copy[0] = 72;
                const view = a.slice(1);
                view[0] = 73;
                const joined = Buffer.concat([a, Buffer.from('!'), new Uint8Array([63])]);
                const shared = Buffer.from(new Uint8Array([1, 2, 3]).buffer, 1, 2);
                const alloc = Buffer.alloc(4, 'ab');
                const number = Buffer.alloc(4); number.writeUInt32BE(0xdeadbeef);
                return [a.toString(), copy.toString(), joined.toString(), joined.length, a.equals(Buffer.from('hI!')),
                  a.equals(copy), a[2], shared.toString('hex'), alloc.toString(), number.readUInt32BE(0).toString(16),
                  number.toString('hex', 1, 3), JSON.stringify(Buffer.from('A')), Buffer.compare(Buffer.from('a'), Buffer.from('b')),
                  joined.indexOf('!'), joined.includes(Buffer.from('I!')), Buffer.concat([a, a], 4).toString(),
                  Buffer.from(JSON.parse(JSON.stringify(a))).toString(), a instanceof Uint8Array].join(' ');
                """)).isEqualTo("hI! Hi! hI!!? 5 true false 33 0203 abab deadbeef adbe {\"type\":\"Buffer\",\"data\":[65]} -1 2 true hI!h hI! true");
    }

    @Test
    void buffer_rejects_unknown_encodings() {
        assertThat(body("try { Buffer.from('x', 'klingon'); return 'accepted'; } catch (e) { return e.name + ': ' + e.message; }"))
                .isEqualTo("TypeError: Unknown encoding: klingon");
    }
}
