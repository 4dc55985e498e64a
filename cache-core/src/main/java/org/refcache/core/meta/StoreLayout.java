package org.refcache.core.meta;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;

/**
 * How items are laid out in the three LMDB databases (the BuildKit buckets, flattened).
 *
 * <pre>
 * main      &lt;id&gt;\0                 presence marker (1 zero byte): the item exists
 *           &lt;id&gt;\0&lt;key&gt;            JSON {"value": &lt;raw json&gt;, "index": "&lt;index&gt;"} ("index" omitted when "")
 *           &lt;id&gt;\0\0&lt;index&gt;         the item is registered under &lt;index&gt; (1 zero byte)
 * index     &lt;index&gt;::&lt;id&gt;           1 zero byte
 * external  &lt;id&gt;\0&lt;key&gt;            raw bytes
 * </pre>
 *
 * <p>IDs and keys never contain NUL, so {@code <id>\0} is a prefix owned by exactly one item and all
 * its entries are adjacent in key order; keys are non-empty, so a second NUL can only start an index
 * back-reference. The back-references let {@code clear} remove every index entry of an item, including
 * ones left behind by overwritten values, and let one prefix scan load the whole item.
 *
 * <p>Index entries are parsed like BuildKit: the item ID is what follows the <em>last</em> {@code ::}.
 * IDs therefore must not contain {@code ::} nor start with {@code :}; such IDs are refused.
 */
final class StoreLayout {
  static final String MAIN = "main";
  static final String INDEX = "index";
  static final String EXTERNAL = "external";
  static final byte[] PRESENT = {0};
  static final String INDEX_SEPARATOR = "::";

  /** IDs in store order: the order of their UTF-8 bytes, as LMDB sorts keys. */
  static final Comparator<String> ID_ORDER = (a, b) -> Arrays.compareUnsigned(utf8(a), utf8(b));

  private StoreLayout() {}

  static String requireId(String id) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("metadata item ID must be a non-empty string");
    }
    if (id.indexOf('\0') >= 0 || id.contains(INDEX_SEPARATOR) || id.charAt(0) == ':') {
      throw new IllegalArgumentException("metadata item ID must not contain NUL or \"::\" nor start with ':' "
          + "(index entries could not be parsed): " + printable(id));
    }
    return id;
  }

  static String requireKey(String id, String key) {
    if (key == null || key.isEmpty() || key.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("metadata key of item " + id + " must be non-empty and contain no NUL: "
          + (key == null ? "null" : printable(key)));
    }
    return key;
  }

  static String requireIndex(String index) {
    if (index == null || index.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("metadata index must be non-null and contain no NUL: "
          + (index == null ? "null" : printable(index)));
    }
    return index;
  }

  /** The LMDB keys of one item, with its ID validated and encoded once. */
  static final class ItemKeys {
    final String id;
    private final byte[] idBytes;
    private final byte[] prefix;

    ItemKeys(String id) {
      this.id = requireId(id);
      this.idBytes = utf8(id);
      this.prefix = checked(Arrays.copyOf(idBytes, idBytes.length + 1), id, null);
    }

    /** {@code <id>\0}: the presence marker and the prefix of all the item's entries (main and external). */
    byte[] prefix() {
      return prefix.clone();
    }

    /** {@code <id>\0<key>} in main (a value) or external (raw bytes). */
    byte[] value(String key) {
      return checked(concat(idBytes, SEP1, utf8(requireKey(id, key))), id, "key " + key);
    }

    /** {@code <id>\0\0<index>} in main: the item is registered under {@code index}. */
    byte[] indexRef(String index) {
      return checked(concat(idBytes, SEP2, utf8(index)), id, "index " + index);
    }

    /** {@code <index>::<id>} in the index database. */
    byte[] index(String index) {
      return checked(concat(utf8(index), SEP_INDEX, idBytes), id, "index " + index);
    }
  }

  private static final byte[] SEP1 = {0};
  private static final byte[] SEP2 = {0, 0};
  private static final byte[] SEP_INDEX = INDEX_SEPARATOR.getBytes(StandardCharsets.US_ASCII);

  /** The index database prefix searched for {@code index}: exact adds {@code ::}, prefix mode does not. */
  static byte[] indexSearchPrefix(String index, boolean prefixOnly) {
    return utf8(prefixOnly ? index : index + INDEX_SEPARATOR);
  }

  /** The item ID of an index entry (after the last {@code ::}), or null when the entry is malformed. */
  static String idOfIndexKey(byte[] key) {
    String k = new String(key, StandardCharsets.UTF_8);
    int at = k.lastIndexOf(INDEX_SEPARATOR);
    if (at < 0 || at + INDEX_SEPARATOR.length() == k.length()) {
      return null;
    }
    return k.substring(at + INDEX_SEPARATOR.length());
  }

  /** What one main-database entry of an item is. */
  sealed interface MainEntry permits Marker, ValueEntry, IndexRef {}

  /** The presence marker. */
  record Marker() implements MainEntry {}

  /** A value under {@code key}, its stored document not yet decoded. */
  record ValueEntry(String key, byte[] document) implements MainEntry {}

  /** A back-reference to an index entry. */
  record IndexRef(String index) implements MainEntry {}

  /** The ID part of a main-database key ({@code <id>\0...}), or null when the key has no NUL. */
  static String idOfMainKey(byte[] key) {
    int nul = indexOf0(key, 0);
    return nul < 0 ? null : new String(key, 0, nul, StandardCharsets.UTF_8);
  }

  /** Classifies a main-database entry whose key starts with {@code <id>\0}. */
  static MainEntry mainEntry(byte[] key, byte[] value) {
    int start = indexOf0(key, 0) + 1;
    if (start == key.length) {
      return new Marker();
    }
    if (key[start] == 0) {
      return new IndexRef(new String(key, start + 1, key.length - start - 1, StandardCharsets.UTF_8));
    }
    return new ValueEntry(new String(key, start, key.length - start, StandardCharsets.UTF_8), value);
  }

  /** The stored document of {@code v}: {@code {"value":<json>,"index":"<index>"}}, index omitted when "". */
  static byte[] encodeDocument(Value v) {
    byte[] json = v.rawJson();
    ByteArrayOutputStream out = new ByteArrayOutputStream(json.length + 32 + v.index().length());
    out.writeBytes(DOC_START);
    out.writeBytes(json);
    if (v.indexed()) {
      out.writeBytes(DOC_INDEX);
      try {
        out.writeBytes(Json.MAPPER.writeValueAsBytes(v.index()));
      } catch (IOException e) {
        throw new MetadataException("cannot encode index " + v.index() + " as JSON", e);
      }
    }
    out.write('}');
    return out.toByteArray();
  }

  private static final byte[] DOC_START = "{\"value\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DOC_INDEX = ",\"index\":".getBytes(StandardCharsets.US_ASCII);

  /** Decodes a stored document; a missing "value" reads as JSON null, a missing "index" as "". */
  static Value decodeDocument(String id, String key, byte[] document) {
    try {
      JsonNode doc = Json.MAPPER.readTree(document);
      if (doc == null || !doc.isObject()) {
        throw new MetadataException("stored value of item " + id + " key " + key + " is not a JSON object");
      }
      JsonNode value = doc.get("value");
      byte[] json = value == null ? "null".getBytes(StandardCharsets.US_ASCII) : Json.MAPPER.writeValueAsBytes(value);
      JsonNode index = doc.get("index");
      return new Value(json, index == null || index.isNull() ? "" : index.asText());
    } catch (IOException | IllegalArgumentException e) {
      throw new MetadataException("stored value of item " + id + " key " + key + " is not valid: "
          + e.getMessage(), e);
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b, byte[] c) {
    byte[] out = new byte[a.length + b.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    System.arraycopy(c, 0, out, a.length + b.length, c.length);
    return out;
  }

  private static int indexOf0(byte[] key, int from) {
    for (int i = from; i < key.length; i++) {
      if (key[i] == 0) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] checked(byte[] lmdbKey, String id, String what) {
    if (lmdbKey.length > LmdbEnvironment.MAX_KEY_SIZE) {
      throw new IllegalArgumentException("metadata of item " + abbreviate(id)
          + (what == null ? "" : ", " + abbreviate(what)) + " needs an LMDB key of " + lmdbKey.length
          + " bytes; LMDB keys are at most " + LmdbEnvironment.MAX_KEY_SIZE + " bytes");
    }
    return lmdbKey;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...(" + s.length() + " chars)";
  }

  /** An LMDB key for a log line: UTF-8 with NULs shown as '?', abbreviated. */
  static String printableKey(byte[] key) {
    return printable(new String(key, StandardCharsets.UTF_8));
  }

  private static String printable(String s) {
    return abbreviate(s.replace('\0', '?'));
  }
}
