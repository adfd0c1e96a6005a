package dev.fhirhook.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The server under test: loopback host, port, path prefix ending in '/', and the Basic credentials. */
record Target(String host, int port, String basePath, String authorization) {
    static Target of(String url, String user, String secret) {
        var uri = URI.create(url.endsWith("/") ? url : url + "/");
        if (!"http".equals(uri.getScheme())) throw new IllegalArgumentException("--url must be http://...: " + url);
        String host = uri.getHost();
        // The bench generates load; it must never point at anything but this machine.
        if (!"127.0.0.1".equals(host) && !"localhost".equals(host)) {
            throw new IllegalArgumentException("--url must point at 127.0.0.1, not " + host);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        String auth = "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
        return new Target("127.0.0.1", port, uri.getRawPath(), auth);
    }

    String path(String relative) {
        return basePath + relative;
    }

    HttpConnection open(boolean authenticated) {
        return new HttpConnection(host, port, authenticated ? authorization : null);
    }
}
