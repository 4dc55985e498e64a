package org.refcache.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrintableTest {

  /** The byte string (FileNames) of {@code raw}. */
  private static String byteString(byte[] raw) {
    return new String(raw, StandardCharsets.ISO_8859_1);
  }

  @Test
  void printableUtf8NamesStayAsTheyAre() {
    String cafe = byteString("café/日本語 x.txt".getBytes(StandardCharsets.UTF_8));

    assertThat(Printable.name(cafe)).isEqualTo("café/日本語 x.txt");
    assertThat(Printable.name(Path.of(cafe))).isEqualTo("café/日本語 x.txt");
  }

  @Test
  void aNewlineAndAnAnsiEscapeBecomeCEscapesOnOneLine() {
    String forged = "evil\n12:00:00.000 INFO  fake line\u001b[31m\r";

    String shown = Printable.text(forged);

    assertThat(shown).isEqualTo("evil\\n12:00:00.000 INFO  fake line\\x1b[31m\\r");
    assertThat(shown).doesNotContain("\n", "\r", "\u001b");
  }

  @Test
  void everyCNamedControlHasItsLetterAndOthersTheirHexByte() {
    assertThat(Printable.text("\u0007\b\t\n\u000b\f\r\u0000\u007f\\"))
        .isEqualTo("\\a\\b\\t\\n\\v\\f\\r\\x00\\x7f\\\\");
  }

  @Test
  void bytesThatAreNotUtf8ShowAsHexBytes() {
    byte[] raw = {'c', 'a', 'f', (byte) 0xe9, (byte) 0xc3, (byte) 0x28, (byte) 0xed, (byte) 0xa0,
        (byte) 0x80, (byte) 0xc0, (byte) 0xaf, (byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80};

    // Latin-1 é, a truncated sequence, a surrogate, an overlong '/', a code point above U+10FFFF.
    assertThat(Printable.bytes(raw))
        .isEqualTo("caf\\xe9\\xc3(\\xed\\xa0\\x80\\xc0\\xaf\\xf4\\x90\\x80\\x80");
    assertThat(Printable.name(byteString(raw))).isEqualTo(Printable.bytes(raw));
  }

  @Test
  void c1ControlsAndCharactersThatReorderTextAreEscapedByteByByte() {
    assertThat(Printable.text("a\u0085b\u009bc\u2028d\u202ee\u2066f\u200fg"))
        .isEqualTo("a\\xc2\\x85b\\xc2\\x9bc\\xe2\\x80\\xa8d\\xe2\\x80\\xaee\\xe2\\x81\\xa6f"
            + "\\xe2\\x80\\x8fg");
  }

  @Test
  void aLineKeepsItsBackslashesButLosesItsControls() {
    assertThat(Printable.line("entry \"a\\nb\": bad\nnext")).isEqualTo("entry \"a\\nb\": bad\\nnext");
  }

  @Test
  void theEscapedFormIsPrintableAndGivesBackTheBytes() {
    Random random = new Random(42);
    for (int n = 0; n < 20_000; n++) {
      byte[] raw = new byte[random.nextInt(12)];
      random.nextBytes(raw);
      if (random.nextBoolean()) {
        // Mostly valid UTF-8 too, not only noise.
        raw = new String(raw, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
      }

      String shown = Printable.bytes(raw);

      assertThat(shown.codePoints().noneMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f)))
          .as("printable: %s", shown).isTrue();
      assertThat(unescape(shown)).as("bytes of %s", shown).isEqualTo(raw);
    }
  }

  /** Reads the escaped form back into bytes. */
  private static byte[] unescape(String shown) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (c != '\\') {
        int cp = shown.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp) - 1;
        continue;
      }
      char e = shown.charAt(++i);
      switch (e) {
        case '\\' -> out.write('\\');
        case 'a' -> out.write(7);
        case 'b' -> out.write('\b');
        case 't' -> out.write('\t');
        case 'n' -> out.write('\n');
        case 'v' -> out.write(11);
        case 'f' -> out.write('\f');
        case 'r' -> out.write('\r');
        case 'x' -> {
          out.write(Integer.parseInt(shown.substring(i + 1, i + 3), 16));
          i += 2;
        }
        default -> throw new AssertionError("unknown escape \\" + e + " in " + shown);
      }
    }
    return out.toByteArray();
  }
}
