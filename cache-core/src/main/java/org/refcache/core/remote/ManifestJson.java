package org.refcache.core.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.InvalidDigestException;

/** Reading and writing the JSON of manifests, indexes and descriptors (one configured mapper). */
final class ManifestJson {
  static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private ManifestJson() {
  }

  static JsonNode readObject(byte[] json, String what) throws MalformedManifestException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedManifestException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new MalformedManifestException(what + " cannot be read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new MalformedManifestException(what + " is not a JSON object");
    }
    return root;
  }

  static String text(JsonNode parent, String field, String where, boolean required) throws MalformedManifestException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new MalformedManifestException(where + " has no \"" + field + "\"");
      }
      return null;
    }
    if (!n.isTextual()) {
      throw new MalformedManifestException(where + ": \"" + field + "\" is not a string");
    }
    return n.textValue();
  }

  static List<JsonNode> array(JsonNode parent, String field, String where, boolean required)
      throws MalformedManifestException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new MalformedManifestException(where + " has no \"" + field + "\"");
      }
      return List.of();
    }
    if (!n.isArray()) {
      throw new MalformedManifestException(where + ": \"" + field + "\" is not an array");
    }
    List<JsonNode> out = new ArrayList<>();
    n.forEach(out::add);
    return out;
  }

  static Digest digest(JsonNode parent, String field, String where) throws MalformedManifestException {
    String s = text(parent, field, where, true);
    try {
      return Digest.parse(s);
    } catch (InvalidDigestException e) {
      throw new MalformedManifestException(where + ": " + e.getMessage(), e);
    }
  }

  static Map<String, String> annotations(JsonNode parent, String where) throws MalformedManifestException {
    JsonNode n = parent.get("annotations");
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw new MalformedManifestException(where + ": \"annotations\" is not an object");
    }
    Map<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new MalformedManifestException(where + ": annotation \"" + e.getKey() + "\" is not a string");
      }
      out.put(e.getKey(), e.getValue().textValue());
    }
    return out;
  }

  static OciDescriptor descriptor(JsonNode n, String where) throws MalformedManifestException {
    if (n == null || !n.isObject()) {
      throw new MalformedManifestException(where + " is not a descriptor object");
    }
    String mediaType = text(n, "mediaType", where, true);
    Digest digest = digest(n, "digest", where);
    JsonNode size = n.get("size");
    if (size == null || !size.canConvertToLong() || !size.isIntegralNumber() || size.longValue() < 0) {
      throw new MalformedManifestException(where + " (" + digest + ") has no valid \"size\"");
    }
    List<String> urls = new ArrayList<>();
    for (JsonNode u : array(n, "urls", where, false)) {
      if (!u.isTextual()) {
        throw new MalformedManifestException(where + ": a \"urls\" entry is not a string");
      }
      urls.add(u.textValue());
    }
    Platform platform = null;
    JsonNode p = n.get("platform");
    if (p != null && !p.isNull()) {
      String os = text(p, "os", where + " platform", true);
      String arch = text(p, "architecture", where + " platform", true);
      String variant = text(p, "variant", where + " platform", false);
      try {
        platform = new Platform(os, arch, variant == null || variant.isEmpty() ? null : variant);
      } catch (InvalidReferenceException e) {
        throw new MalformedManifestException(where + ": " + e.getMessage(), e);
      }
    }
    return new OciDescriptor(mediaType, digest, size.longValue(), annotations(n, where), urls, platform);
  }

  static ObjectNode write(OciDescriptor d) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("mediaType", d.mediaType());
    n.put("digest", d.digest().toString());
    n.put("size", d.size());
    if (!d.urls().isEmpty()) {
      ArrayNode urls = n.putArray("urls");
      d.urls().forEach(urls::add);
    }
    putAnnotations(n, d.annotations());
    if (d.platform() != null) {
      ObjectNode p = n.putObject("platform");
      p.put("architecture", d.platform().architecture());
      p.put("os", d.platform().os());
      if (d.platform().variant() != null) {
        p.put("variant", d.platform().variant());
      }
    }
    return n;
  }

  static void putAnnotations(ObjectNode n, Map<String, String> annotations) {
    if (!annotations.isEmpty()) {
      ObjectNode a = n.putObject("annotations");
      annotations.forEach(a::put);
    }
  }

  static byte[] bytes(JsonNode n) {
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON tree", e);
    }
  }
}
