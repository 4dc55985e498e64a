package org.refcache.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON document as the client commands read and write it, on Jackson's streaming API alone.
 *
 * <p>Why not Jackson's {@code JsonNode}: a client command is a short JVM run, and starting Jackson's
 * data binding ({@code ObjectMapper}) loads some 300 classes for lines a few fields long. This tree reads
 * and prints the same JSON (the same pretty printer, numbers and field order kept), and its accessors
 * answer as {@code JsonNode}'s do: {@link #path} of an absent field is the missing value, whose
 * {@link #asText()} is empty and {@link #asLong()} zero.
 *
 * <p>Objects and arrays made by {@link #object()} and {@link #array()} are filled in place; values read
 * by {@link #parse} are not meant to be changed.
 */
public final class JsonValue implements Iterable<JsonValue> {
  private enum Kind { MISSING, NULL, BOOLEAN, INTEGER, DECIMAL, STRING, ARRAY, OBJECT }

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final JsonValue MISSING = new JsonValue(Kind.MISSING, null);
  private static final JsonValue NULL = new JsonValue(Kind.NULL, null);
  private static final JsonValue TRUE = new JsonValue(Kind.BOOLEAN, Boolean.TRUE);
  private static final JsonValue FALSE = new JsonValue(Kind.BOOLEAN, Boolean.FALSE);

  private final Kind kind;
  /**
   * Boolean, Long or BigInteger, Double or BigDecimal, String, List of JsonValue, or LinkedHashMap of
   * String to JsonValue, by kind.
   */
  private final Object value;

  private JsonValue(Kind kind, Object value) {
    this.kind = kind;
    this.value = value;
  }

  /** A new, empty object. */
  public static JsonValue object() {
    return new JsonValue(Kind.OBJECT, new LinkedHashMap<String, JsonValue>());
  }

  /** A new, empty array. */
  public static JsonValue array() {
    return new JsonValue(Kind.ARRAY, new ArrayList<JsonValue>());
  }

  /** JSON null. */
  public static JsonValue nullValue() {
    return NULL;
  }

  /** A string, or null for null. */
  public static JsonValue of(String s) {
    return s == null ? NULL : new JsonValue(Kind.STRING, s);
  }

  /** A whole number. */
  public static JsonValue of(long n) {
    return new JsonValue(Kind.INTEGER, n);
  }

  /** A boolean. */
  public static JsonValue of(boolean b) {
    return b ? TRUE : FALSE;
  }

  /** The document in {@code text}: one value, nothing after it. */
  public static JsonValue parse(String text) throws IOException {
    try (JsonParser p = FACTORY.createParser(text)) {
      if (p.nextToken() == null) {
        throw new IOException("no JSON value in an empty line");
      }
      JsonValue v = read(p);
      if (p.nextToken() != null) {
        throw new IOException("more than one JSON value in a line");
      }
      return v;
    }
  }

  private static JsonValue read(JsonParser p) throws IOException {
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT: {
        JsonValue o = object();
        for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
          p.nextToken();
          o.fields().put(name, read(p));
        }
        return o;
      }
      case START_ARRAY: {
        JsonValue a = array();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          a.items().add(read(p));
        }
        return a;
      }
      case VALUE_STRING:
        return new JsonValue(Kind.STRING, p.getText());
      case VALUE_NUMBER_INT:
        return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? new JsonValue(Kind.INTEGER, p.getBigIntegerValue())
            : new JsonValue(Kind.INTEGER, p.getLongValue());
      case VALUE_NUMBER_FLOAT:
        return new JsonValue(Kind.DECIMAL, p.getDoubleValue());
      case VALUE_TRUE:
        return TRUE;
      case VALUE_FALSE:
        return FALSE;
      case VALUE_NULL:
        return NULL;
      default:
        throw new IOException("unexpected JSON token " + t);
    }
  }

  // ---- building ----

  /** Sets field {@code name} of this object to {@code v} (null: JSON null); returns this object. */
  public JsonValue put(String name, String v) {
    return set(name, of(v));
  }

  /** Sets field {@code name} of this object to a number; returns this object. */
  public JsonValue put(String name, long v) {
    return set(name, of(v));
  }

  /** Sets field {@code name} of this object to a boolean; returns this object. */
  public JsonValue put(String name, boolean v) {
    return set(name, of(v));
  }

  /** Sets field {@code name} of this object to {@code v} (null: JSON null); returns this object. */
  public JsonValue set(String name, JsonValue v) {
    fields().put(name, v == null ? NULL : v);
    return this;
  }

  /** A new empty array set as field {@code name} of this object. */
  public JsonValue putArray(String name) {
    JsonValue a = array();
    set(name, a);
    return a;
  }

  /** Appends a string to this array; returns this array. */
  public JsonValue add(String s) {
    items().add(of(s));
    return this;
  }

  // ---- reading ----

  /** Field {@code name} of this object, or the missing value (never null). */
  public JsonValue path(String name) {
    if (kind != Kind.OBJECT) {
      return MISSING;
    }
    JsonValue v = fields().get(name);
    return v == null ? MISSING : v;
  }

  /** Whether this is an object with a field {@code name} (null counts). */
  public boolean has(String name) {
    return kind == Kind.OBJECT && fields().containsKey(name);
  }

  /** Whether this is the value of an absent field. */
  public boolean isMissingNode() {
    return kind == Kind.MISSING;
  }

  /** Whether this is JSON null. */
  public boolean isNull() {
    return kind == Kind.NULL;
  }

  /** Whether this is a string. */
  public boolean isTextual() {
    return kind == Kind.STRING;
  }

  /** Whether this is an array. */
  public boolean isArray() {
    return kind == Kind.ARRAY;
  }

  /** The string, or null when this is not one. */
  public String textValue() {
    return kind == Kind.STRING ? (String) value : null;
  }

  /** A string, number or boolean as text; "null" for null; empty for anything else. */
  public String asText() {
    switch (kind) {
      case STRING:
        return (String) value;
      case INTEGER:
      case DECIMAL:
      case BOOLEAN:
        return value.toString();
      case NULL:
        return "null";
      default:
        return "";
    }
  }

  /** As {@link #asText()}, but {@code fallback} for null and the missing value. */
  public String asText(String fallback) {
    return kind == Kind.NULL || kind == Kind.MISSING ? fallback : asText();
  }

  /** A number (decimals cut), a boolean as 1 or 0, a string that is a whole number; else 0. */
  public long asLong() {
    switch (kind) {
      case INTEGER:
      case DECIMAL:
        return ((Number) value).longValue();
      case BOOLEAN:
        return (Boolean) value ? 1 : 0;
      case STRING:
        try {
          return Long.parseLong(((String) value).trim());
        } catch (NumberFormatException e) {
          return 0;
        }
      default:
        return 0;
    }
  }

  /** As {@link #asLong()}, as an int (a decimal cut to an int, as Java casts it). */
  public int asInt() {
    return kind == Kind.DECIMAL ? (int) ((Number) value).doubleValue() : (int) asLong();
  }

  /** A boolean, a whole number other than 0, the string "true"; else false. */
  public boolean asBoolean() {
    return asBoolean(false);
  }

  /** As {@link #asBoolean()}, but {@code fallback} for what is neither a boolean, a whole number nor a string. */
  public boolean asBoolean(boolean fallback) {
    switch (kind) {
      case BOOLEAN:
        return (Boolean) value;
      case INTEGER:
        return ((Number) value).doubleValue() != 0;
      case STRING:
        String s = ((String) value).trim();
        return s.equals("true") || (!s.equals("false") && fallback);
      default:
        return fallback;
    }
  }

  /** Number of items of an array or fields of an object; 0 for anything else. */
  public int size() {
    return kind == Kind.ARRAY ? items().size() : kind == Kind.OBJECT ? fields().size() : 0;
  }

  /** The fields of an object in their order; empty for anything else. */
  public Set<Map.Entry<String, JsonValue>> properties() {
    return kind == Kind.OBJECT ? Collections.unmodifiableMap(fields()).entrySet() : Set.of();
  }

  /** The items of an array, the field values of an object, nothing for anything else. */
  @Override
  public Iterator<JsonValue> iterator() {
    if (kind == Kind.ARRAY) {
      return Collections.unmodifiableList(items()).iterator();
    }
    if (kind == Kind.OBJECT) {
      return Collections.unmodifiableCollection(fields().values()).iterator();
    }
    return Collections.emptyIterator();
  }

  // ---- printing ----

  /** The compact form, as UTF-8: one line. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The form for people: Jackson's default pretty printer (two-space indents, {@code "name" : value}). */
  public String toPrettyString() {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.setPrettyPrinter(new DefaultPrettyPrinter());
      write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return new String(toBytes(), StandardCharsets.UTF_8);
  }

  private void write(JsonGenerator g) throws IOException {
    switch (kind) {
      case OBJECT:
        g.writeStartObject();
        for (Map.Entry<String, JsonValue> f : fields().entrySet()) {
          g.writeFieldName(f.getKey());
          f.getValue().write(g);
        }
        g.writeEndObject();
        break;
      case ARRAY:
        g.writeStartArray();
        for (JsonValue item : items()) {
          item.write(g);
        }
        g.writeEndArray();
        break;
      case STRING:
        g.writeString((String) value);
        break;
      case INTEGER:
        if (value instanceof BigInteger b) {
          g.writeNumber(b);
        } else {
          g.writeNumber((Long) value);
        }
        break;
      case DECIMAL:
        if (value instanceof BigDecimal d) {
          g.writeNumber(d);
        } else {
          g.writeNumber((Double) value);
        }
        break;
      case BOOLEAN:
        g.writeBoolean((Boolean) value);
        break;
      case NULL:
        g.writeNull();
        break;
      default:
        throw new IllegalStateException("the missing value has no JSON form");
    }
  }

  @SuppressWarnings("unchecked")
  private Map<String, JsonValue> fields() {
    if (kind != Kind.OBJECT) {
      throw new IllegalStateException("not a JSON object: " + kind);
    }
    return (Map<String, JsonValue>) value;
  }

  @SuppressWarnings("unchecked")
  private List<JsonValue> items() {
    if (kind != Kind.ARRAY) {
      throw new IllegalStateException("not a JSON array: " + kind);
    }
    return (List<JsonValue>) value;
  }
}
