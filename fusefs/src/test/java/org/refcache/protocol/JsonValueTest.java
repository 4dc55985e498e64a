package org.refcache.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client's JSON ({@link JsonValue}) reads and prints as Jackson's data binding did before it: the
 * same pretty text for {@code --format json}, the same compact request lines, the same answers from
 * its accessors.
 */
class JsonValueTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String DOC = "{\"id\":\"abc\",\"size\":12345678901234,\"big\":123456789012345678901234567890,"
      + "\"ratio\":0.25,\"neg\":-7,\"on\":true,\"off\":false,\"none\":null,\"name\":\"caf\\u00e9 \\\"q\\\" \\n\\u0001\","
      + "\"parents\":[\"p1\",\"p2\"],\"empty\":[],\"nested\":{\"a\":{\"b\":[1,{\"c\":null}]}},\"obj\":{},"
      + "\"dup\":1,\"dup\":2}";

  @Test
  void printsWhatTheDataBindingPrinted() throws IOException {
    JsonNode byJackson = MAPPER.readTree(DOC);
    JsonValue ours = JsonValue.parse(DOC);
    assertThat(ours.toPrettyString()).isEqualTo(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(byJackson));
    assertThat(ours.toBytes()).isEqualTo(MAPPER.writeValueAsBytes(byJackson));
  }

  @Test
  void accessorsAnswerAsJsonNodesDid() throws IOException {
    JsonNode j = MAPPER.readTree(DOC);
    JsonValue v = JsonValue.parse(DOC);
    List<String> fields = new ArrayList<>();
    j.fieldNames().forEachRemaining(fields::add);
    fields.add("absent");
    for (String f : fields) {
      JsonNode a = j.path(f);
      JsonValue b = v.path(f);
      assertThat(b.asText()).as(f).isEqualTo(a.asText());
      assertThat(b.asText("dflt")).as(f).isEqualTo(a.asText("dflt"));
      assertThat(b.asLong()).as(f).isEqualTo(a.asLong());
      assertThat(b.asInt()).as(f).isEqualTo(a.asInt());
      assertThat(b.asBoolean()).as(f).isEqualTo(a.asBoolean());
      assertThat(b.isTextual()).as(f).isEqualTo(a.isTextual());
      assertThat(b.isNull()).as(f).isEqualTo(a.isNull());
      assertThat(b.isArray()).as(f).isEqualTo(a.isArray());
      assertThat(b.isMissingNode()).as(f).isEqualTo(a.isMissingNode());
      assertThat(b.textValue()).as(f).isEqualTo(a.textValue());
      assertThat(b.size()).as(f).isEqualTo(a.size());
      assertThat(v.has(f)).as(f).isEqualTo(j.has(f));
    }
    List<String> parents = new ArrayList<>();
    v.path("parents").forEach(p -> parents.add(p.asText()));
    assertThat(parents).containsExactly("p1", "p2");
    assertThat(v.path("nested").path("a").path("b").path("x").isMissingNode()).isTrue();
  }

  @Test
  void builtRequestsAreTheLinesTheDataBindingWrote() throws IOException {
    JsonValue args = JsonValue.object().put("file", "/abs/l\u00e4yer.tar").put("parent", null).put("retain", true)
        .put("keepDuration", 172800L);
    args.putArray("filter").add("id==x").add("type~=re.*");
    byte[] line = JsonValue.object().put("v", ControlProtocol.VERSION).put("op", "import").set("args", args).toBytes();

    var jargs = ControlProtocol.object();
    jargs.put("file", "/abs/l\u00e4yer.tar");
    jargs.put("parent", (String) null);
    jargs.put("retain", true);
    jargs.put("keepDuration", 172800L);
    jargs.putArray("filter").add("id==x").add("type~=re.*");
    assertThat(new String(line, StandardCharsets.UTF_8))
        .isEqualTo(ControlProtocol.JSON.writeValueAsString(ControlProtocol.request("import", jargs)));
  }

  @Test
  void aLineThatIsNotOneJsonValueIsAnError() {
    assertThatThrownBy(() -> JsonValue.parse("")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> JsonValue.parse("{\"a\":1} {}")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> JsonValue.parse("{\"a\":")).isInstanceOf(IOException.class);
  }
}
