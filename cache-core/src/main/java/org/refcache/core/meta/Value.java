package org.refcache.core.meta;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One metadata value: raw JSON plus the index it is registered under (BuildKit's
 * {@code Value{Value json.RawMessage, Index string}}).
 *
 * <p>{@code json} is exactly one well-formed JSON value (checked on construction); it is copied in and
 * out, so a {@code Value} is immutable. {@code index} is "" when the value is not indexed (null is
 * accepted and means the same). Equality compares the JSON bytes and the index.
 *
 * <p>The typed readers map JSON {@code null} to Go's zero values where Java has one: {@link #asString}
 * gives null, {@link #asBool} false, {@link #asStringList} an empty list; {@link #asLong} refuses it.
 * A value of another JSON type fails with {@link MetadataException}.
 *
 * @param json the raw JSON bytes (UTF-8)
 * @param index the index name, "" for none
 */
public record Value(byte[] json, String index) {
  private static final byte[] NULL_JSON = "null".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TRUE_JSON = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE_JSON = "false".getBytes(StandardCharsets.US_ASCII);
  private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};

  /**
   * Returned from the function of {@link StorageItem#getAndSetValue} to write nothing. Compared by
   * identity: only this instance means "skip".
   */
  public static final Value SKIP = new Value(NULL_JSON, "");

  /** Checks that {@code json} is one JSON value and that {@code index} can be stored. */
  public Value {
    Objects.requireNonNull(json, "json");
    json = json.clone();
    index = index == null ? "" : index;
    if (index.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("metadata index must not contain NUL: " + index.replace('\0', '?'));
    }
    requireSingleJsonValue(json);
  }

  /** The value encoded as JSON by Jackson, not indexed. */
  public static Value of(Object v) {
    return of(v, "");
  }

  /** The value encoded as JSON by Jackson, registered under {@code index} (null or "" for none). */
  public static Value of(Object v, String index) {
    // The types records are made of are encoded directly: this is on the path of every ref creation.
    if (v == null) {
      return new Value(NULL_JSON, index);
    }
    if (v instanceof String s) {
      return new Value(Json.quote(s), index);
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return new Value(Long.toString(((Number) v).longValue()).getBytes(StandardCharsets.US_ASCII), index);
    }
    if (v instanceof Boolean b) {
      return new Value((b ? "true" : "false").getBytes(StandardCharsets.US_ASCII), index);
    }
    try {
      return new Value(Json.MAPPER.writeValueAsBytes(v), index);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode " + v.getClass().getName() + " as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  /** A copy of the raw JSON bytes. */
  @Override
  public byte[] json() {
    return json.clone();
  }

  /** The JSON bytes without a copy, for the store's own encoding; never modify them. */
  byte[] rawJson() {
    return json;
  }

  /** Whether the value is registered under an index. */
  public boolean indexed() {
    return !index.isEmpty();
  }

  /** This value under another index ("" or null for none). */
  public Value withIndex(String newIndex) {
    return new Value(json, newIndex);
  }

  /** Decodes the JSON into {@code type} with Jackson. */
  public <T> T decode(Class<T> type) {
    try {
      return Json.MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new MetadataException("cannot decode " + this + " as " + type.getName() + ": " + e.getMessage(), e);
    }
  }

  /** Decodes the JSON into a generic type with Jackson. */
  public <T> T decode(TypeReference<T> type) {
    try {
      return Json.MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw new MetadataException("cannot decode " + this + " as " + type.getType() + ": " + e.getMessage(), e);
    }
  }

  // The common encodings read without a parser (du and prune read a few values of every record, and
  // a Jackson parser costs a few hundred bytes and a buffer each); anything else goes to Jackson.

  private static final long NOT_PLAIN = Long.MIN_VALUE;

  /** A JSON integer of at most 18 digits without a leading zero, optionally negative; else NOT_PLAIN. */
  private static long plainLong(byte[] b) {
    int i = b.length > 0 && b[0] == '-' ? 1 : 0;
    int digits = b.length - i;
    if (digits < 1 || digits > 18 || (b[i] == '0' && digits > 1)) {
      return NOT_PLAIN;
    }
    long v = 0;
    for (; i < b.length; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return NOT_PLAIN;
      }
      v = v * 10 + (b[i] - '0');
    }
    return b[0] == '-' ? -v : v;
  }

  /** A JSON string of printable ASCII without escapes, unquoted; else null. */
  private static String plainAsciiString(byte[] b) {
    if (b.length < 2 || b[0] != '"' || b[b.length - 1] != '"') {
      return null;
    }
    for (int i = 1; i < b.length - 1; i++) {
      if (b[i] < 0x20 || b[i] > 0x7e || b[i] == '"' || b[i] == '\\') {
        return null;
      }
    }
    return new String(b, 1, b.length - 2, StandardCharsets.US_ASCII);
  }

  /** The JSON string, or null for JSON null. */
  public String asString() {
    String plain = plainAsciiString(json);
    if (plain != null || Arrays.equals(json, NULL_JSON)) {
      return plain;
    }
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.VALUE_STRING) {
        return p.getText();
      }
      if (t == JsonToken.VALUE_NULL) {
        return null;
      }
    } catch (IOException e) {
      throw new MetadataException("cannot read " + this + " as a string: " + e.getMessage(), e);
    }
    throw new MetadataException("not a JSON string: " + this);
  }

  /** The JSON integer (it must fit a long). */
  public long asLong() {
    long plain = plainLong(json);
    if (plain != NOT_PLAIN) {
      return plain;
    }
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      if (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
        return p.getLongValue();
      }
    } catch (IOException e) {
      throw new MetadataException("cannot read " + this + " as a long: " + e.getMessage(), e);
    }
    throw new MetadataException("not a JSON integer: " + this);
  }

  /** The JSON boolean; false for JSON null. */
  public boolean asBool() {
    if (Arrays.equals(json, TRUE_JSON)) {
      return true;
    }
    if (Arrays.equals(json, FALSE_JSON) || Arrays.equals(json, NULL_JSON)) {
      return false;
    }
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.VALUE_TRUE) {
        return true;
      }
      if (t == JsonToken.VALUE_FALSE || t == JsonToken.VALUE_NULL) {
        return false;
      }
    } catch (IOException e) {
      throw new MetadataException("cannot read " + this + " as a boolean: " + e.getMessage(), e);
    }
    throw new MetadataException("not a JSON boolean: " + this);
  }

  /** The JSON array of strings as an unmodifiable list; empty for JSON null. */
  public List<String> asStringList() {
    List<String> list = decode(STRING_LIST);
    return list == null ? List.of() : List.copyOf(list);
  }

  /** Whether the JSON is {@code null}. */
  public boolean isNull() {
    return Arrays.equals(json, NULL_JSON);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Value v && Arrays.equals(json, v.json) && index.equals(v.index);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(json) + index.hashCode();
  }

  @Override
  public String toString() {
    String text = new String(json, StandardCharsets.UTF_8);
    if (text.length() > 200) {
      text = text.substring(0, 200) + "...";
    }
    return index.isEmpty() ? "Value[" + text + "]" : "Value[" + text + ", index=" + index + "]";
  }

  private static void requireSingleJsonValue(byte[] json) {
    if (isPlainScalar(json)) {
      return;
    }
    try (JsonParser p = Json.FACTORY.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new IllegalArgumentException("metadata value is empty, not JSON");
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("metadata value holds more than one JSON value: "
            + new String(json, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("metadata value is not valid JSON: " + e.getMessage(), e);
    }
  }

  /**
   * Recognises, without a parser, the JSON most values are: an integer, true/false/null, or a string
   * of printable ASCII without escapes. Anything else goes through Jackson.
   */
  private static boolean isPlainScalar(byte[] json) {
    int n = json.length;
    if (n == 0) {
      return false;
    }
    byte first = json[0];
    if (first == '"') {
      if (n < 2 || json[n - 1] != '"') {
        return false;
      }
      for (int i = 1; i < n - 1; i++) {
        byte c = json[i];
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
          return false;
        }
      }
      return true;
    }
    if (first == '-' || (first >= '0' && first <= '9')) {
      int i = first == '-' ? 1 : 0;
      if (i == n || n - i > 18 || (json[i] == '0' && n - i > 1)) {
        return false;
      }
      for (; i < n; i++) {
        if (json[i] < '0' || json[i] > '9') {
          return false;
        }
      }
      return true;
    }
    return Arrays.equals(json, NULL_JSON) || Arrays.equals(json, TRUE_JSON) || Arrays.equals(json, FALSE_JSON);
  }
}
