package org.refcache.core.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.InvalidDigestException;

/**
 * The package's JSON: one mapper, and reading with errors that name the document and the field
 * ({@code index.json: manifests[0].digest: missing}). Writing is compact, fields in the order
 * they are put, so the same image gives the same bytes.
 */
final class OciJson {
  static final ObjectMapper MAPPER = JsonMapper.builder().build();
  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private OciJson() {
  }

  /** Parses {@code bytes} as a JSON object; {@code what} names the document in errors. */
  static ObjectNode parseObject(byte[] bytes, String what) throws OciFormatException {
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new OciFormatException(what + ": not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new OciFormatException(what + ": not JSON: " + e.getMessage(), e);
    }
    if (!(node instanceof ObjectNode object)) {
      throw new OciFormatException(what + ": not a JSON object");
    }
    return object;
  }

  static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  static String requireString(JsonNode parent, String field, String where)
      throws OciFormatException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      throw new OciFormatException(where + "." + field + ": missing");
    }
    if (!n.isTextual()) {
      throw new OciFormatException(where + "." + field + ": not a string");
    }
    return n.asText();
  }

  static String optionalString(JsonNode parent, String field, String where)
      throws OciFormatException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw new OciFormatException(where + "." + field + ": not a string");
    }
    return n.asText();
  }

  static long requireSize(JsonNode parent, String field, String where) throws OciFormatException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      throw new OciFormatException(where + "." + field + ": missing");
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
      throw new OciFormatException(where + "." + field + ": not a size (" + n + ")");
    }
    return n.asLong();
  }

  static Digest requireDigest(JsonNode parent, String field, String where)
      throws OciFormatException {
    String s = requireString(parent, field, where);
    try {
      return Digest.parse(s);
    } catch (InvalidDigestException e) {
      throw new OciFormatException(where + "." + field + ": " + e.getMessage(), e);
    }
  }

  static List<JsonNode> array(JsonNode parent, String field, String where, boolean required)
      throws OciFormatException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      if (required) {
        throw new OciFormatException(where + "." + field + ": missing");
      }
      return List.of();
    }
    if (!n.isArray()) {
      throw new OciFormatException(where + "." + field + ": not an array");
    }
    List<JsonNode> items = new ArrayList<>();
    n.forEach(items::add);
    return items;
  }

  static Map<String, String> stringMap(JsonNode parent, String field, String where)
      throws OciFormatException {
    JsonNode n = parent.get(field);
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw new OciFormatException(where + "." + field + ": not an object");
    }
    Map<String, String> map = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new OciFormatException(where + "." + field + "." + e.getKey() + ": not a string");
      }
      map.put(e.getKey(), e.getValue().asText());
    }
    return map;
  }

  /** A descriptor object; {@code where} is its place in the document. */
  static OciDescriptor descriptor(JsonNode node, String where) throws OciFormatException {
    if (!node.isObject()) {
      throw new OciFormatException(where + ": not an object");
    }
    String mediaType = requireString(node, "mediaType", where);
    Digest digest = requireDigest(node, "digest", where);
    long size = requireSize(node, "size", where);
    Map<String, String> annotations = stringMap(node, "annotations", where);
    List<String> urls = new ArrayList<>();
    for (JsonNode url : array(node, "urls", where, false)) {
      if (!url.isTextual()) {
        throw new OciFormatException(where + ".urls: not strings");
      }
      urls.add(url.asText());
    }
    OciDescriptor.Platform platform = null;
    JsonNode p = node.get("platform");
    if (p != null && !p.isNull()) {
      platform = new OciDescriptor.Platform(requireString(p, "architecture", where + ".platform"),
          requireString(p, "os", where + ".platform"),
          optionalString(p, "variant", where + ".platform"));
    }
    return new OciDescriptor(mediaType, digest, size, annotations, urls, platform);
  }

  static ObjectNode descriptor(OciDescriptor d) {
    ObjectNode node = NODES.objectNode();
    node.put("mediaType", d.mediaType());
    node.put("digest", d.digest().toString());
    node.put("size", d.size());
    if (!d.urls().isEmpty()) {
      ArrayNode urls = node.putArray("urls");
      d.urls().forEach(urls::add);
    }
    if (!d.annotations().isEmpty()) {
      ObjectNode annotations = node.putObject("annotations");
      d.annotations().forEach(annotations::put);
    }
    if (d.platform() != null) {
      ObjectNode platform = node.putObject("platform");
      platform.put("architecture", d.platform().architecture());
      platform.put("os", d.platform().os());
      if (d.platform().variant() != null) {
        platform.put("variant", d.platform().variant());
      }
    }
    return node;
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
