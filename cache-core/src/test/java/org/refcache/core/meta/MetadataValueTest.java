package org.refcache.core.meta;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetadataValueTest {
  record Blob(String digest, long size) {}

  @Test
  void valueOfEncodesWithJacksonAndDecodesBack() {
    Value v = Value.of(new Blob("sha256:abc", 12), "blob:abc");
    assertThat(new String(v.json(), UTF_8)).isEqualTo("{\"digest\":\"sha256:abc\",\"size\":12}");
    assertThat(v.index()).isEqualTo("blob:abc");
    assertThat(v.indexed()).isTrue();
    assertThat(v.decode(Blob.class)).isEqualTo(new Blob("sha256:abc", 12));
    assertThat(Value.of("s").index()).isEmpty();
    assertThat(new Value("1".getBytes(UTF_8), null).index()).isEmpty();
  }

  @Test
  void valuesAreImmutableAndEqualByContent() {
    byte[] json = "\"a\"".getBytes(UTF_8);
    Value v = new Value(json, "i");
    json[1] = 'b';
    v.json()[1] = 'c';
    assertThat(v.asString()).isEqualTo("a");
    assertThat(v).isEqualTo(Value.of("a", "i")).hasSameHashCodeAs(Value.of("a", "i"));
    assertThat(v).isNotEqualTo(Value.of("a"));
    assertThat(v.withIndex(null)).isEqualTo(Value.of("a"));
  }

  @Test
  void malformedJsonIsRefused() {
    assertThatThrownBy(() -> new Value("{".getBytes(UTF_8), null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Value(new byte[0], null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Value("1 2".getBytes(UTF_8), null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Value.of("x", "bad\0index")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void typedReadersFollowJsonTypes() {
    assertThat(Value.of(null).asString()).isNull();
    assertThat(Value.of(null).asBool()).isFalse();
    assertThat(Value.of(null).asStringList()).isEmpty();
    assertThat(Value.of(null).isNull()).isTrue();
    assertThatThrownBy(() -> Value.of(null).asLong()).isInstanceOf(MetadataException.class);
    assertThatThrownBy(() -> Value.of(1.5).asLong()).isInstanceOf(MetadataException.class);
    assertThatThrownBy(() -> Value.of("1").asLong()).isInstanceOf(MetadataException.class);
    assertThat(Value.of(List.of("a", "b")).asStringList()).containsExactly("a", "b");
    assertThat(Value.of(false).asBool()).isFalse();
  }

  @Test
  void typedReadersReadEveryEncodingAsJacksonDoes() throws Exception {
    // Plain integers, booleans and ASCII strings are read without a parser: the same answers.
    for (long n : new long[] {0, 7, -1, 999_999_999_999_999_999L, -999_999_999_999_999_999L, Long.MAX_VALUE,
        Long.MIN_VALUE, 1_000_000_000_000_000_000L}) {
      assertThat(Value.of(n).asLong()).isEqualTo(n);
    }
    assertThat(new Value("-0".getBytes(UTF_8), null).asLong()).isZero();
    assertThatThrownBy(() -> new Value("1e3".getBytes(UTF_8), null).asLong()).isInstanceOf(MetadataException.class);
    assertThatThrownBy(() -> new Value("1.0".getBytes(UTF_8), null).asLong()).isInstanceOf(MetadataException.class);
    for (String t : new String[] {"", "plain text", "a\"quote", "back\\slash", "tab\there", "caf\u00e9", "\u2603", "~"}) {
      assertThat(Value.of(t).asString()).isEqualTo(t);
      assertThat(new Value(Json.MAPPER.writeValueAsBytes(t), null).asString()).isEqualTo(t);
    }
    assertThat(new Value("\"\\u0041\"".getBytes(UTF_8), null).asString()).isEqualTo("A");
    assertThatThrownBy(() -> Value.of(1).asString()).isInstanceOf(MetadataException.class);
    assertThat(Value.of(true).asBool()).isTrue();
    assertThat(Value.of(false).asBool()).isFalse();
    assertThatThrownBy(() -> Value.of("true").asBool()).isInstanceOf(MetadataException.class);
  }

  @Test
  void anyJsonValueRoundTripsThroughTheStore(@TempDir Path dir) throws Exception {
    List<Value> values = List.of(
        Value.of("quote \" backslash \\ unicode \u00e9 \u2603 newline \n"),
        Value.of(Map.of("nested", List.of(1, 2, Map.of("deep", true)))),
        new Value("0.10000000000000000000000001".getBytes(UTF_8), ""),
        new Value("123456789012345678901234567890".getBytes(UTF_8), ""),
        Value.of(List.of()),
        Value.of(null, "idx:\"quoted\" \u00e9"));
    try (LmdbEnvironment env = LmdbEnvironment.open(dir, MetadataStore.DATABASES)) {
      MetadataStore store = new MetadataStore(env);
      store.update("rec", w -> {
        for (int i = 0; i < values.size(); i++) {
          w.setValue("v" + i, values.get(i));
        }
      });
      StorageItem loaded = store.get("rec");
      for (int i = 0; i < values.size(); i++) {
        assertThat(loaded.get("v" + i)).as("value %d", i).isEqualTo(values.get(i));
      }
      assertThat(store.search("idx:\"quoted\" \u00e9", false)).hasSize(1);
    }
  }
}
