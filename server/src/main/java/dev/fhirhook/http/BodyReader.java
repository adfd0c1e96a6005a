package dev.fhirhook.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body chunk by chunk with a deadline on the whole body, not only on each read. Jetty's idle
 * timeout restarts with every byte, so a client sending one byte every few seconds (slowloris) could otherwise keep
 * a request, and whatever the route holds while it reads, for as long as it liked. Deadlines are wall time of a
 * network read ({@link System#nanoTime()}), not business time: the injected clock has no say here.
 */
final class BodyReader {
    private BodyReader() {}

    /** The body did not arrive whole before the deadline. */
    static final class TooSlow extends IOException {
        TooSlow() {
            super("the body did not arrive in time", null);
        }
    }

    /** The body is larger than the limit; what was read of it is dropped. */
    static final class TooLarge extends IOException {
        TooLarge() {
            super("the body is over the limit", null);
        }
    }

    /**
     * Reads the whole body.
     *
     * @param expected the declared length, or -1: only sizes the first buffer
     * @throws TooLarge past {@code maxBytes}, as soon as the limit is passed
     * @throws TooSlow when the last byte has not come by {@code deadlineNanos}
     * @throws IOException when the client breaks its framing or goes away
     */
    static byte[] read(Content.Source source, long maxBytes, long expected, long deadlineNanos) throws IOException {
        long first = Math.min(expected > 0 ? expected : 8 * 1024, Math.min(maxBytes, 1 << 20));
        var out = new ByteArrayOutputStream((int) first);
        while (true) {
            Content.Chunk chunk = next(source, deadlineNanos);
            try {
                ByteBuffer bytes = chunk.getByteBuffer();
                int n = bytes.remaining();
                if (out.size() + (long) n > maxBytes) throw new TooLarge();
                if (bytes.hasArray()) {
                    out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), n);
                } else {
                    byte[] copy = new byte[n];
                    bytes.get(copy);
                    out.write(copy, 0, n);
                }
                if (chunk.isLast()) return out.toByteArray();
            } finally {
                chunk.release();
            }
        }
    }

    /**
     * Reads and drops the rest of a body, at most {@code maxBytes}, until {@code deadlineNanos}. Never throws: a
     * client that breaks off has nothing left to protect.
     *
     * @return whether the body was read to its end
     */
    static boolean discard(Content.Source source, long maxBytes, long deadlineNanos) {
        long left = maxBytes;
        try {
            while (left >= 0) {
                Content.Chunk chunk = next(source, deadlineNanos);
                try {
                    left -= chunk.getByteBuffer().remaining();
                    if (chunk.isLast()) return left >= 0;
                } finally {
                    chunk.release();
                }
            }
        } catch (IOException | RuntimeException e) {
            // too slow, broken off or broken framing
        }
        return false;
    }

    /** The next chunk with content or the last one; waits for it until the deadline. */
    private static Content.Chunk next(Content.Source source, long deadlineNanos) throws IOException {
        while (true) {
            Content.Chunk chunk = source.read();
            if (chunk != null) {
                if (Content.Chunk.isFailure(chunk)) {
                    Throwable failure = chunk.getFailure();
                    chunk.release();
                    throw failure instanceof IOException io ? io : new IOException(failure);
                }
                return chunk;
            }
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) throw new TooSlow();
            var ready = new CountDownLatch(1);
            source.demand(ready::countDown);
            try {
                if (!ready.await(left, TimeUnit.NANOSECONDS)) throw new TooSlow();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while reading the body", e);
            }
        }
    }
}
