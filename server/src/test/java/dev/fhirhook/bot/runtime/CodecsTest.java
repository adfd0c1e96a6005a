package dev.fhirhook.bot.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Node's Buffer encodings, including its leniency with bad input. */
class CodecsTest {
    @Test
    void utf8_writes_lone_surrogates_as_the_replacement_character() {
        assertThat(Codecs.utf8("a\uD800b")).containsExactly('a', 0xEF - 256, 0xBF - 256, 0xBD - 256, 'b');
        assertThat(Codecs.utf8("€\uD83D\uDE00")).isEqualTo("€\uD83D\uDE00".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void hex_stops_at_the_first_bad_pair_and_drops_an_odd_digit() {
        assertThat(Codecs.decode("48656c6c6f", "hex")).isEqualTo("Hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(Codecs.decode("4865zz6c", "hex")).containsExactly(0x48, 0x65);
        assertThat(Codecs.decode("486", "hex")).containsExactly(0x48);
        assertThat(Codecs.encode(new byte[] {0, (byte) 0xff}, "HEX")).isEqualTo("00ff");
    }

    @Test
    void base64_reads_both_alphabets_with_or_without_padding_skipping_junk() {
        var hello = "hello".getBytes(StandardCharsets.US_ASCII);
        assertThat(Codecs.decode("aGVsbG8=", "base64")).isEqualTo(hello);
        assertThat(Codecs.decode("aGVsbG8", "base64")).isEqualTo(hello);
        assertThat(Codecs.decode(" aGVs\nbG8= trailing", "base64")).isEqualTo(hello);
        assertThat(Codecs.decode("_-8", "base64")).isEqualTo(Codecs.decode("/+8", "base64url"));
        assertThat(Codecs.encode(new byte[] {(byte) 0xfb, (byte) 0xff}, "base64")).isEqualTo("+/8=");
        assertThat(Codecs.encode(new byte[] {(byte) 0xfb, (byte) 0xff}, "base64url")).isEqualTo("-_8");
    }

    @Test
    void latin1_ascii_and_utf16le() {
        assertThat(Codecs.decode("é€", "latin1")).containsExactly(0xE9 - 256, 0xAC - 256);
        assertThat(Codecs.encode(new byte[] {(byte) 0xE9}, "binary")).isEqualTo("é");
        assertThat(Codecs.encode(new byte[] {(byte) 0xE9}, "ascii")).isEqualTo("i");
        assertThat(Codecs.encode(Codecs.decode("hé", "ucs2"), "utf16le")).isEqualTo("hé");
        assertThat(Codecs.encode(new byte[] {0x68, 0, 0x69}, "utf16le")).isEqualTo("h");
    }

    @Test
    void unknown_encodings_are_refused() {
        assertThat(Codecs.canonical("UTF-8")).isEqualTo("utf8");
        assertThat(Codecs.canonical("klingon")).isNull();
        assertThatThrownBy(() -> Codecs.decode("x", "klingon")).hasMessage("Unknown encoding: klingon");
    }
}
