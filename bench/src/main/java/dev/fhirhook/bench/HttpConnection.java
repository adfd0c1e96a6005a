package dev.fhirhook.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal blocking HTTP/1.1 client on one keep-alive socket, for one thread. It reads just enough of the
 * response (status, Content-Length or chunked, Connection, Location) to stay in step with the server and
 * keeps the body in a reused buffer. It reconnects lazily after the server closes or an I/O error.
 * Chosen over java.net.http.HttpClient because the load generator shares the CPU with the server.
 */
final class HttpConnection implements AutoCloseable {
    /** What a response said; {@code location} is null when absent. */
    record Response(int status, String location) {}

    private static final int TIMEOUT_MS = 30_000;

    private final String host;
    private final int port;
    private final String fixedHeaders;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final byte[] readBuffer = new byte[16 * 1024];
    private int readPos;
    private int readLimit;
    private byte[] request = new byte[4 * 1024];
    private byte[] body = new byte[8 * 1024];
    private int bodyLength;

    /** @param authorization the full Authorization header value, or null to send none */
    HttpConnection(String host, int port, String authorization) {
        this.host = host;
        this.port = port;
        this.fixedHeaders = "Host: " + host + ":" + port + "\r\n"
                + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                + "Accept: application/fhir+json\r\nUser-Agent: fhirhook-bench\r\n";
    }

    Response get(String path) throws IOException {
        return exchange("GET", path, null, null, null);
    }

    Response send(String method, String path, String contentType, byte[] content) throws IOException {
        return exchange(method, path, contentType, content, null);
    }

    /** @param header one more header line ({@code Name: value}, ASCII), or null */
    Response send(String method, String path, String contentType, byte[] content, String header) throws IOException {
        return exchange(method, path, contentType, content, header);
    }

    /** The body of the last response, decoded as UTF-8 (for error reports and seeding, not the hot path). */
    String bodyText() {
        return new String(body, 0, bodyLength, StandardCharsets.UTF_8);
    }

    private Response exchange(String method, String path, String contentType, byte[] content, String header)
            throws IOException {
        if (socket == null) connect();
        try {
            writeRequest(method, path, contentType, content, header);
            return readResponse(method);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        var s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(TIMEOUT_MS);
        s.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
        socket = s;
        in = s.getInputStream();
        out = s.getOutputStream();
        readPos = readLimit = 0;
    }

    private void writeRequest(String method, String path, String contentType, byte[] content, String header)
            throws IOException {
        var head = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\n").append(fixedHeaders);
        if (header != null) head.append(header).append("\r\n");
        if (content != null) {
            head.append("Content-Type: ").append(contentType).append("\r\nContent-Length: ").append(content.length).append("\r\n");
        }
        head.append("\r\n");
        int headLength = head.length(); // ASCII only
        int total = headLength + (content == null ? 0 : content.length);
        if (request.length < total) request = new byte[Math.max(total, request.length * 2)];
        for (int i = 0; i < headLength; i++) request[i] = (byte) head.charAt(i);
        if (content != null) System.arraycopy(content, 0, request, headLength, content.length);
        out.write(request, 0, total); // one write, one segment
        out.flush();
    }

    private Response readResponse(String method) throws IOException {
        String statusLine = readLine();
        if (statusLine == null) throw new EOFException("connection closed before the status line");
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) throw new IOException("bad status line: " + statusLine);
        int status = Integer.parseInt(statusLine, 9, 12, 10);
        boolean keepAlive = statusLine.startsWith("HTTP/1.1");
        long contentLength = -1;
        boolean chunked = false;
        String location = null;
        String line;
        while ((line = readLine()) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) continue;
            String value = line.substring(colon + 1).strip();
            if (line.regionMatches(true, 0, "content-length", 0, colon) && colon == 14) {
                contentLength = Long.parseLong(value);
            } else if (line.regionMatches(true, 0, "transfer-encoding", 0, colon) && colon == 17) {
                chunked = value.toLowerCase().contains("chunked");
            } else if (line.regionMatches(true, 0, "connection", 0, colon) && colon == 10) {
                if (value.equalsIgnoreCase("close")) keepAlive = false;
                else if (value.equalsIgnoreCase("keep-alive")) keepAlive = true;
            } else if (line.regionMatches(true, 0, "location", 0, colon) && colon == 8) {
                location = value;
            }
        }
        if (line == null) throw new EOFException("connection closed in the headers");
        bodyLength = 0;
        boolean noBody = method.equals("HEAD") || status == 204 || status == 304 || (status >= 100 && status < 200);
        if (noBody) {
            // nothing to read
        } else if (chunked) {
            readChunked();
        } else if (contentLength >= 0) {
            readBody(contentLength);
        } else {
            readToEnd();
            keepAlive = false;
        }
        if (!keepAlive) close();
        return new Response(status, location);
    }

    private void readChunked() throws IOException {
        while (true) {
            String sizeLine = readLine();
            if (sizeLine == null) throw new EOFException("connection closed in a chunk size");
            int semicolon = sizeLine.indexOf(';');
            long size = Long.parseLong((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).strip(), 16);
            if (size == 0) break;
            readBody(size);
            if (readLine() == null) throw new EOFException("connection closed after a chunk");
        }
        String trailer;
        while ((trailer = readLine()) != null && !trailer.isEmpty()) { /* trailers are ignored */ }
    }

    private void readBody(long length) throws IOException {
        long remaining = length;
        while (remaining > 0) {
            if (readPos == readLimit && !fill()) throw new EOFException("connection closed in the body");
            int n = (int) Math.min(remaining, readLimit - readPos);
            appendBody(n);
            remaining -= n;
        }
    }

    private void readToEnd() throws IOException {
        while (readPos < readLimit || fill()) appendBody(readLimit - readPos);
    }

    private void appendBody(int n) {
        if (body.length < bodyLength + n) body = Arrays.copyOf(body, Math.max(bodyLength + n, body.length * 2));
        System.arraycopy(readBuffer, readPos, body, bodyLength, n);
        bodyLength += n;
        readPos += n;
    }

    /** A CRLF-terminated ASCII line without its terminator, or null at end of stream. */
    private String readLine() throws IOException {
        var sb = new StringBuilder(64);
        while (true) {
            if (readPos == readLimit && !fill()) return sb.isEmpty() ? null : sb.toString();
            byte b = readBuffer[readPos++];
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') sb.setLength(len - 1);
                return sb.toString();
            }
            sb.append((char) (b & 0xff));
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(readBuffer, 0, readBuffer.length);
        if (n <= 0) return false;
        readPos = 0;
        readLimit = n;
        return true;
    }

    @Override
    public void close() {
        if (socket == null) return;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        socket = null;
        in = null;
        out = null;
    }
}
