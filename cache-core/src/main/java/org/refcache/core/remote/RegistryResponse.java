package org.refcache.core.remote;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;

/**
 * One answer of the registry: status, headers, the URI that answered (after redirects) and the body
 * as a stream. Closing it before the body's end drops the connection.
 */
record RegistryResponse(int status, HttpHeaders headers, URI uri, BodyStream body) implements AutoCloseable {
  /** Error bodies and other small answers are read up to this size. */
  static final long SMALL_BODY = 1 << 20;

  String header(String name) {
    return headers.firstValue(name).orElse(null);
  }

  long contentLength() {
    return headers.firstValueAsLong("Content-Length").orElse(-1);
  }

  /** The body as text (UTF-8), at most {@link #SMALL_BODY}; what was read when the body breaks. */
  String text() {
    try {
      return new String(body.readAll(SMALL_BODY, "response body"), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    body.close();
  }
}
