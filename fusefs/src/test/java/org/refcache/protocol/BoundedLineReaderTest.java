package org.refcache.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BoundedLineReaderTest {
  private static BoundedLineReader reader(String s, int max) {
    return new BoundedLineReader(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)), max);
  }

  @Test
  void readsLinesWithoutTheirNewlineAndAFinalUnterminatedOne() throws IOException {
    BoundedLineReader r = reader("one\ntwo\n\nlast", 10);
    assertThat(r.next()).isEqualTo(new BoundedLineReader.Line.Text("one"));
    assertThat(r.next()).isEqualTo(new BoundedLineReader.Line.Text("two"));
    assertThat(r.next()).isEqualTo(new BoundedLineReader.Line.Text(""));
    assertThat(r.next()).isEqualTo(new BoundedLineReader.Line.Text("last"));
    assertThat(r.next()).isNull();
  }

  @Test
  void lineOverTheBoundIsReportedWithItsLengthAndTheNextLineReadsNormally() throws IOException {
    String big = "x".repeat(100_000);
    BoundedLineReader r = reader(big + "\nok\n", 1000);
    assertThat(r.next()).isEqualTo(new BoundedLineReader.Line.TooLong(100_000));
    assertThat(r.next()).isEqualTo(new BoundedLineReader.Line.Text("ok"));
    assertThat(r.next()).isNull();
  }

  @Test
  void lineOfExactlyTheBoundIsText() throws IOException {
    assertThat(reader("abcde\n", 5).next()).isEqualTo(new BoundedLineReader.Line.Text("abcde"));
    assertThat(reader("abcdef\n", 5).next()).isEqualTo(new BoundedLineReader.Line.TooLong(6));
  }

  @Test
  void decodesUtf8() throws IOException {
    assertThat(reader("grüße ✓\n", 100).next()).isEqualTo(new BoundedLineReader.Line.Text("grüße ✓"));
  }
}
