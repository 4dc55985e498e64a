package org.refcache.core.remote;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The error body of the distribution API, {@code {"errors":[{"code":..,"message":..,"detail":..}]}},
 * read into words for messages.
 */
final class RegistryErrors {
  /** Error codes of the distribution spec that this client acts on. */
  static final String BLOB_UNKNOWN = "BLOB_UNKNOWN";
  static final String MANIFEST_UNKNOWN = "MANIFEST_UNKNOWN";
  static final String NAME_UNKNOWN = "NAME_UNKNOWN";
  static final String DIGEST_INVALID = "DIGEST_INVALID";
  static final String MANIFEST_BLOB_UNKNOWN = "MANIFEST_BLOB_UNKNOWN";

  private static final int MAX_TEXT = 300;

  /** One error of the body. */
  record Entry(String code, String message, String detail) {}

  private RegistryErrors() {
  }

  /** The errors of {@code body}; empty when it is not such a body. */
  static List<Entry> parse(String body) {
    List<Entry> out = new ArrayList<>();
    if (body == null || body.isBlank()) {
      return out;
    }
    JsonNode root;
    try {
      root = ManifestJson.MAPPER.readTree(body);
    } catch (java.io.IOException e) {
      return out;
    }
    JsonNode errors = root == null ? null : root.get("errors");
    if (errors == null || !errors.isArray()) {
      return out;
    }
    for (JsonNode e : errors) {
      out.add(new Entry(e.path("code").asText(""), e.path("message").asText(""),
          e.has("detail") && !e.get("detail").isNull() ? e.get("detail").toString() : null));
    }
    return out;
  }

  /** Whether the body carries the error {@code code}. */
  static boolean has(List<Entry> errors, String code) {
    return errors.stream().anyMatch(e -> e.code().equals(code));
  }

  /**
   * What the registry said, in one line: its error codes and messages, else the start of the body,
   * else null.
   */
  static String describe(List<Entry> errors, String body) {
    if (!errors.isEmpty()) {
      return errors.stream().map(e -> e.code() + (e.message().isEmpty() ? "" : " " + e.message()))
          .collect(Collectors.joining("; "));
    }
    if (body == null || body.isBlank()) {
      return null;
    }
    String oneLine = body.strip().replaceAll("\\s+", " ");
    return oneLine.length() > MAX_TEXT ? oneLine.substring(0, MAX_TEXT) + "..." : oneLine;
  }

  /** "HTTP 404 (what the registry said)". */
  static String statusLine(int status, String said) {
    return "HTTP " + status + (said != null ? " (" + said + ")" : "");
  }
}
