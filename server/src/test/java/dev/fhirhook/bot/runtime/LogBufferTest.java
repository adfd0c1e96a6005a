package dev.fhirhook.bot.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The run's log keeps the tail within its bound, counting the newlines between lines. */
class LogBufferTest {
    @Test
    void lines_are_joined_by_newlines() {
        var log = new LogBuffer(100);
        log.add("info", "one");
        log.add("error", "");
        log.add("warn", "three");
        assertThat(log.text()).isEqualTo("one\n\nthree");
    }

    @Test
    void the_oldest_lines_go_first_and_the_bound_is_exact() {
        var log = new LogBuffer(11);
        log.add("info", "aaaaa");
        log.add("info", "bbbbb");
        assertThat(log.text()).isEqualTo("aaaaa\nbbbbb").hasSize(11);
        log.add("info", "c");
        assertThat(log.text()).isEqualTo("bbbbb\nc");
    }

    @Test
    void a_line_longer_than_the_bound_keeps_its_end() {
        var log = new LogBuffer(4);
        log.add("info", "first");
        log.add("info", "0123456789");
        assertThat(log.text()).isEqualTo("6789");
    }

    @Test
    void a_zero_bound_keeps_nothing() {
        var log = new LogBuffer(0);
        log.add("info", "x");
        assertThat(log.text()).isEmpty();
    }
}
