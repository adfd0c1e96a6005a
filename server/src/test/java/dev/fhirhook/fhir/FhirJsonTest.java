package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How the server's JSON writes decimals, and that everything it writes reads back exactly. Pure. */
class FhirJsonTest {

    private static String written(String number) {
        var node = FhirJson.parse(("{\"v\":" + number + "}").getBytes(StandardCharsets.UTF_8));
        String text = FhirJson.text(node);
        return text.substring("{\"v\":".length(), text.length() - 1);
    }

    @ParameterizedTest(name = "{0} is written {1}")
    @CsvSource({
            "1.50, 1.50", "0.0001, 0.0001", "1e-4, 0.0001", "-0.0, 0.0", "-0, 0", "12, 12",
            "2.50e2, 250", "1e2, 1e+2", "1.5E+3, 1.5e+3", "1.50e5, 1.50e+5", "0e5, 0e+5",
            "1e100, 1e+100", "-1e100, -1e+100", "1.5E-70, 1.5e-70", "1e-63, 0.000000000000000000000000000000000000000000000000000000000000001",
            "1e-64, 1e-64", "1e-1000, 1e-1000", "123.456e-2, 1.23456"})
    void a_decimal_is_plain_unless_it_needs_an_exponent(String number, String expected) {
        assertThat(written(number)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.50", "1e2", "1e100", "-1.5e-999", "1e-1000", "0e5", "0.000001111", "1e-64", "1e-63",
            "9999999999999999999999999999999999999999999999999999999999999999", "0.00000000000000000000000000000000000000000000000000000000000001",
            "1.234567890123456789012345678901234567890123456789012345678901e-941"})
    void what_is_written_reads_back_with_the_same_value_and_precision(String number) {
        var expected = new BigDecimal(number);
        String text = written(number);
        var read = FhirJson.parseStored("{\"v\":" + text + "}").get("v");
        assertThat(read.decimalValue()).as(text).isEqualTo(expected);
        assertThat(written(text)).as("written again").isEqualTo(text);
    }

    @Test
    void written_digits_count_what_the_parser_counts() {
        var node = FhirJson.parse("[1.50, -12, 1e100, 1.5e-70, 123456789012345678901234567890]".getBytes(StandardCharsets.UTF_8));
        assertThat(FhirJson.writtenDigits(node.get(0))).isEqualTo(3);
        assertThat(FhirJson.writtenDigits(node.get(1))).isEqualTo(2);
        assertThat(FhirJson.writtenDigits(node.get(2))).isEqualTo(4);
        assertThat(FhirJson.writtenDigits(node.get(3))).isEqualTo(4);
        assertThat(FhirJson.writtenDigits(node.get(4))).isEqualTo(30);
    }

    /** Bodies that parse and bodies that do not, for {@link FhirJson#check} against {@link FhirJson#parse}. */
    static java.util.stream.Stream<String> bodies() {
        String deep = "[".repeat(FhirJson.MAX_DEPTH) + "]".repeat(FhirJson.MAX_DEPTH);
        String tooDeep = "[".repeat(FhirJson.MAX_DEPTH + 1) + "]".repeat(FhirJson.MAX_DEPTH + 1);
        return java.util.stream.Stream.of(
                "{}", "[]", " {\"a\":[1,2.5,{\"b\":null}],\"c\":\"x\"} ", "{\"a\":{\"a\":{\"a\":1}}}",
                "\"text\"", "12", "null", "true", "1.5", deep, tooDeep,
                "{\"a\":1,\"a\":2}", "{\"x\":{\"a\":1,\"a\":2}}", "[{\"a\":1},{\"a\":2}]",
                "{\"a\":1}}", "{\"a\":1} {\"b\":2}", "[1] x", "{\"a\":1} // comment", "[1,]", "{\"a\":1,}",
                "{\"a\":", "[1, 2", "{\"a\":\"open}", "{'a':1}", "{a:1}", "[NaN]", "[Infinity]", "[-]", "[01]",
                "[1e99999999999]", "[1e-99999999999]", "[" + "9".repeat(64) + "]", "[" + "9".repeat(65) + "]",
                "[0." + "1".repeat(70) + "]", "[\"a\u0001b\"]", "[\"\\x\"]", "[\"\\u12\"]", " ", "\n\t",
                "{\"a\":1}\u0000", "[1]\n\n", "{\"\":0}");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("bodies")
    void check_refuses_exactly_what_parse_refuses_and_names_the_same_first_token(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String parsed;
        try {
            parsed = "parses as " + FhirJson.parse(bytes).asToken();
        } catch (dev.fhirhook.api.ApiException e) {
            parsed = "refused " + e.status() + " " + e.code();
        }
        String checked;
        try {
            checked = "parses as " + FhirJson.check(bytes);
        } catch (dev.fhirhook.api.ApiException e) {
            checked = "refused " + e.status() + " " + e.code();
        }
        assertThat(checked).isEqualTo(parsed);
    }

    @Test
    void check_refuses_invalid_utf8_and_an_empty_body_as_parse_does() {
        for (byte[] bytes : new byte[][] {{'[', '"', (byte) 0xC3, (byte) 0x28, '"', ']'}, {'{', '"', (byte) 0xFF, '"', ':', '1', '}'}, {}}) {
            var parse = org.assertj.core.api.Assertions.catchThrowableOfType(dev.fhirhook.api.ApiException.class,
                    () -> FhirJson.parse(bytes));
            var check = org.assertj.core.api.Assertions.catchThrowableOfType(dev.fhirhook.api.ApiException.class,
                    () -> FhirJson.check(bytes));
            assertThat(check).isNotNull();
            assertThat(check.code()).isEqualTo(parse.code());
            assertThat(check.text()).isEqualTo(parse.text());
        }
    }
}
