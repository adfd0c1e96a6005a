package dev.fhirhook.http;

import org.eclipse.jetty.http.HttpFields;

/** The security and caching headers every response carries (Medplum's set; HSTS only over https). */
final class StandardHeaders {
    private StandardHeaders() {}

    static void apply(HttpFields.Mutable headers, boolean https) {
        headers.put("Cache-Control", "no-store, no-cache, must-revalidate");
        headers.put("Pragma", "no-cache");
        headers.put("Content-Security-Policy",
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none';");
        headers.put("Permissions-Policy", "accelerometer=(), ambient-light-sensor=(), autoplay=(), battery=(), "
                + "camera=(), display-capture=(), document-domain=(), encrypted-media=(), fullscreen=(), "
                + "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
                + "picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(), "
                + "usb=(), xr-spatial-tracking=()");
        headers.put("Referrer-Policy", "no-referrer");
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("X-Frame-Options", "DENY");
        headers.put("X-XSS-Protection", "1; mode=block");
        if (https) headers.put("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
}
