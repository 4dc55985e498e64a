package org.refcache.core.remote;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.refcache.core.digest.Digest;

/**
 * One request to a registry, with what the client needs around it: the image and digest it is about
 * (for messages), the token scopes it needs, and whether it may simply be sent again after a failure.
 *
 * @param image the image, for messages and credentials
 * @param digest the manifest or blob the request is about, or null
 * @param method the HTTP method
 * @param uri the absolute URI
 * @param headers extra headers (no Authorization: the transport adds it)
 * @param body the body, or null; it must be re-subscribable when the request may be sent twice
 * @param scopes the token scopes, e.g. {@code repository:team/app:pull}
 * @param idempotent whether a failed attempt may be repeated as it is
 */
record RegistryRequest(ImageReference image, Digest digest, String method, URI uri, Map<String, String> headers,
    HttpRequest.BodyPublisher body, List<String> scopes, boolean idempotent) {

  RegistryRequest {
    headers = Map.copyOf(headers);
    scopes = List.copyOf(scopes);
  }

  static RegistryRequest of(ImageReference image, Digest digest, String method, URI uri, List<String> scopes) {
    boolean idempotent = !method.equals("POST") && !method.equals("PATCH");
    return new RegistryRequest(image, digest, method, uri, Map.of(), null, scopes, idempotent);
  }

  RegistryRequest header(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new RegistryRequest(image, digest, method, uri, h, body, scopes, idempotent);
  }

  RegistryRequest body(HttpRequest.BodyPublisher publisher) {
    return new RegistryRequest(image, digest, method, uri, headers, publisher, scopes, idempotent);
  }

  /** This request, marked as safe (or not) to repeat. */
  RegistryRequest idempotent(boolean safe) {
    return new RegistryRequest(image, digest, method, uri, headers, body, scopes, safe);
  }

  /** The pull scope of {@code image}'s repository. */
  static String pullScope(ImageReference image) {
    return "repository:" + image.repository() + ":pull";
  }

  /** The pull and push scope of {@code image}'s repository. */
  static String pushScope(ImageReference image) {
    return "repository:" + image.repository() + ":pull,push";
  }

  /** Method and URI without the query, which for uploads holds long session state. */
  @Override
  public String toString() {
    String u = uri.toString();
    int query = u.indexOf('?');
    return method + " " + (query < 0 ? u : u.substring(0, query));
  }
}
