package dev.fhirhook.bot.runtime;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessMode;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.graalvm.polyglot.io.FileSystem;

/**
 * The only "files" a bot can reach: ES module imports of {@code crypto}, {@code buffer} (and their {@code node:}
 * names), each a tiny module re-exporting what {@code require} returns. Everything else does not exist, so an
 * import of {@code fs}, a relative path or a URL fails with "Cannot find module". Read-only, no host access.
 * Stateless; one instance may serve every context.
 */
final class ShimModules implements FileSystem {
    static final String NOT_FOUND = "only crypto and buffer are available to bots";

    /** The prelude defines this non-writable global; bots may call it, it is only {@code require}. */
    static final String REQUIRE_SYMBOL = "fhirhook.require";

    private static final Path ROOT = Path.of("/");
    private static final Map<Path, byte[]> MODULES = Map.of(
            ROOT.resolve("crypto"), module("crypto",
                    "createHash, createHmac, timingSafeEqual, randomUUID, randomBytes, getRandomValues, getHashes"),
            ROOT.resolve("buffer"), module("buffer", "Buffer, atob, btoa"));

    private static byte[] module(String name, String exports) {
        var text = "const m = globalThis[Symbol.for('" + REQUIRE_SYMBOL + "')]('" + name + "');\n"
                + "export default m;\n"
                + "export const { " + exports + " } = m;\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Path parsePath(URI uri) {
        // node:crypto and node:buffer; any other URI (https:, file:) maps to a path that does not exist.
        if ("node".equals(uri.getScheme())) return ROOT.resolve(uri.getSchemeSpecificPart());
        return ROOT.resolve("unsupported-uri");
    }

    @Override
    public Path parsePath(String path) {
        return Path.of(path.startsWith("node:") ? path.substring(5) : path);
    }

    @Override
    public void checkAccess(Path path, Set<? extends AccessMode> modes, LinkOption... linkOptions) throws IOException {
        if (!MODULES.containsKey(absolute(path)) || modes.contains(AccessMode.WRITE) || modes.contains(AccessMode.EXECUTE)) {
            throw notFound(path);
        }
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        throw notFound(dir);
    }

    @Override
    public void delete(Path path) throws IOException {
        throw notFound(path);
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        var bytes = MODULES.get(absolute(path));
        if (bytes == null) throw notFound(path);
        return new ReadOnlyChannel(bytes);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        throw notFound(dir);
    }

    @Override
    public Path toAbsolutePath(Path path) {
        return absolute(path);
    }

    @Override
    public Path toRealPath(Path path, LinkOption... linkOptions) throws IOException {
        return absolute(path);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        var bytes = MODULES.get(absolute(path));
        if (bytes == null) throw notFound(path);
        var time = FileTime.fromMillis(0);
        var result = new HashMap<String, Object>();
        result.put("isRegularFile", true);
        result.put("isDirectory", false);
        result.put("isSymbolicLink", false);
        result.put("isOther", false);
        result.put("size", (long) bytes.length);
        result.put("lastModifiedTime", time);
        result.put("lastAccessTime", time);
        result.put("creationTime", time);
        return result;
    }

    private static Path absolute(Path path) {
        return ROOT.resolve(path).normalize();
    }

    private static NoSuchFileException notFound(Path path) {
        var name = path.toString().startsWith("/") && path.getNameCount() == 1 ? path.getFileName().toString() : path.toString();
        return new NoSuchFileException("Cannot find module '" + name + "' (" + NOT_FOUND + ")");
    }

    private static final class ReadOnlyChannel implements SeekableByteChannel {
        private final byte[] bytes;
        private int position;

        ReadOnlyChannel(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public int read(ByteBuffer dst) {
            if (position >= bytes.length) return -1;
            int n = Math.min(dst.remaining(), bytes.length - position);
            dst.put(bytes, position, n);
            position += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) {
            position = (int) Math.min(newPosition, bytes.length);
            return this;
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public SeekableByteChannel truncate(long size) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {}
    }
}
