package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A request Jetty itself refuses (here an encoded NUL in the path) ends its connection; the answer must say
 * {@code Connection: close}, or a pooling client reuses the dead connection and its next request gets no answer.
 */
class JettyErrorConnectionTest {
    @Test
    void a_request_jetty_refuses_is_answered_with_connection_close_and_the_connection_ends() throws Exception {
        try (var socket = new Socket("127.0.0.1", TestServer.get().server().port())) {
            socket.setSoTimeout(5_000);
            String body = "{\"name\":\"x\"}";
            socket.getOutputStream().write(("POST /admin/projects/%00/client HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            var response = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(response); // returns only because the server closes the connection
            String text = response.toString(StandardCharsets.US_ASCII);
            assertThat(text).startsWith("HTTP/1.1 400 ");
            assertThat(text.substring(0, text.indexOf("\r\n\r\n")).toLowerCase()).contains("\r\nconnection: close");
        }
    }
}
