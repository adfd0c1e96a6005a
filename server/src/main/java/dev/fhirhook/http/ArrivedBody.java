package dev.fhirhook.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * A request whose body was taken as far as it had arrived, without waiting for more, and is given back from its first
 * byte to whoever reads it next. {@link #whole()} tells whether reading it can wait on the client: when the whole
 * body (or the client's failure) is here, it cannot, and the request may be served on a pooled platform thread; when
 * it is not, it is served on a virtual thread, so that a client sending its body slowly holds no pooled thread.
 *
 * <p>At most {@link #MAX_BYTES} are taken ahead, whatever the route's limit: an anonymous client cannot make the
 * server hold more before its credentials or its target are checked. Not thread-safe: one request, one reader.
 */
final class ArrivedBody extends Request.Wrapper {
    /** Taken ahead at most; a longer body is read by its route as it arrives, on a virtual thread. */
    static final int MAX_BYTES = 64 * 1024;

    private Content.Chunk ahead;
    private final boolean whole;

    private ArrivedBody(Request request, Content.Chunk ahead, boolean whole) {
        super(request);
        this.ahead = ahead;
        this.whole = whole;
    }

    /** Takes what of {@code request}'s body has arrived, at most {@link #MAX_BYTES}; never waits. */
    static ArrivedBody take(Request request) {
        var bytes = new ByteArrayOutputStream();
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) return new ArrivedBody(request, chunk(bytes, false), false);
            if (Content.Chunk.isFailure(chunk)) {
                // the failure stays with the request: reading past what was taken meets it again, at once
                return new ArrivedBody(request, chunk(bytes, false), true);
            }
            try {
                ByteBuffer buffer = chunk.getByteBuffer();
                if (buffer.hasArray()) {
                    bytes.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
                } else {
                    byte[] copy = new byte[buffer.remaining()];
                    buffer.get(copy);
                    bytes.writeBytes(copy);
                }
                if (chunk.isLast()) return new ArrivedBody(request, chunk(bytes, true), true);
            } finally {
                chunk.release();
            }
            if (bytes.size() >= MAX_BYTES) return new ArrivedBody(request, chunk(bytes, false), false);
        }
    }

    private static Content.Chunk chunk(ByteArrayOutputStream bytes, boolean last) {
        if (bytes.size() == 0) return last ? Content.Chunk.EOF : null;
        return Content.Chunk.from(ByteBuffer.wrap(bytes.toByteArray()), last);
    }

    /** Whether the whole body (or the client's failure to send it) had arrived: reading it will not wait. */
    boolean whole() {
        return whole;
    }

    @Override
    public Content.Chunk read() {
        Content.Chunk first = ahead;
        if (first != null) {
            ahead = null;
            return first;
        }
        return super.read();
    }

    @Override
    public void demand(Runnable demandCallback) {
        if (ahead != null) {
            demandCallback.run();
        } else {
            super.demand(demandCallback);
        }
    }
}
