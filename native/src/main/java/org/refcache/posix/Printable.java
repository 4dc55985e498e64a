package org.refcache.posix;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * File names and untrusted text made safe to print: on one line of a log, or on a person's
 * terminal. A name is any bytes but NUL and {@code /}, so a tar entry or a file created through
 * the mount can hold a newline (a forged log line) or an ANSI escape sequence (a rewritten
 * terminal).
 *
 * <p>The escaped form is valid UTF-8 text with no control characters: a UTF-8 character that is
 * printable stays as it is; a backslash becomes {@code \\}; the control characters that C names
 * become {@code \a \b \t \n \v \f \r}; every other byte of a control character (C0, DEL, C1),
 * of a character that moves or reorders text (U+2028, U+2029, the bidirectional overrides and
 * isolates, U+200E, U+200F) and every byte that is not part of valid UTF-8 becomes {@code \xNN}.
 * So {@code \xNN} always stands for one byte, and the original bytes can be read back.
 *
 * <p>Where the result goes decides the method: {@link #name} for a name or path held as a byte
 * string ({@link FileNames}), {@link #text} for text (from a request, a description), and
 * {@link #line} for a message composed elsewhere that may already hold escaped names (its
 * backslashes are kept, so they are not doubled). Output meant for programs (JSON, {@code -z})
 * is never escaped.
 */
public final class Printable {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  /** The control characters C names, and their letters. */
  private static final String C_ESCAPED = "\007\b\t\n\013\f\r";
  private static final String C_NAMES = "abtnvfr";

  private Printable() {
  }

  /** A name or path held as a byte string ({@link FileNames}), escaped. */
  public static String name(String name) {
    return name == null ? "null" : escape(FileNames.bytes(name), true);
  }

  /** A path whose string is a byte string ({@link FileNames}), escaped. */
  public static String name(Path path) {
    return path == null ? "null" : name(path.toString());
  }

  /** Raw bytes of a name, escaped. */
  public static String bytes(byte[] name) {
    return escape(name, true);
  }

  /**
   * Text (a path or an argument from a request, a description) escaped; an unpaired surrogate,
   * which has no UTF-8 form, shows as {@code ?}.
   */
  public static String text(String text) {
    return text == null ? "null" : escape(text.getBytes(StandardCharsets.UTF_8), true);
  }

  /**
   * A composed message (an exception's, an answer of the service) made one line without control
   * characters; backslashes stay, as the names in it may be escaped already.
   */
  public static String line(String message) {
    return message == null ? "null" : escape(message.getBytes(StandardCharsets.UTF_8), false);
  }

  private static String escape(byte[] b, boolean escapeBackslash) {
    StringBuilder out = null; // only allocated once something needs escaping
    int i = 0;
    while (i < b.length) {
      int length = sequenceLength(b, i);
      int cp = length == 0 ? -1 : codePoint(b, i, length);
      boolean plain = cp >= 0 && !needsEscape(cp) && (cp != '\\' || !escapeBackslash);
      if (plain && out == null) {
        i += length;
        continue;
      }
      if (out == null) {
        out = new StringBuilder(b.length + 16);
        out.append(new String(b, 0, i, StandardCharsets.UTF_8));
      }
      if (plain) {
        out.appendCodePoint(cp);
        i += length;
      } else if (cp == '\\') {
        out.append("\\\\");
        i++;
      } else if (cp >= 0 && C_ESCAPED.indexOf(cp) >= 0) {
        out.append('\\').append(C_NAMES.charAt(C_ESCAPED.indexOf(cp)));
        i++;
      } else {
        // A control or reordering character (all its bytes), or one byte that is not UTF-8.
        int n = cp >= 0 ? length : 1;
        for (int k = 0; k < n; k++) {
          int v = b[i + k] & 0xff;
          out.append("\\x").append(HEX[v >> 4]).append(HEX[v & 0xf]);
        }
        i += n;
      }
    }
    return out == null ? new String(b, StandardCharsets.UTF_8) : out.toString();
  }

  private static boolean needsEscape(int cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)
        || cp == 0x200e || cp == 0x200f
        || cp == 0x2028 || cp == 0x2029
        || (cp >= 0x202a && cp <= 0x202e)
        || (cp >= 0x2066 && cp <= 0x2069);
  }

  /**
   * The length of the well-formed UTF-8 sequence at {@code b[i]} (Unicode's table 3-7: no overlong
   * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
   */
  private static int sequenceLength(byte[] b, int i) {
    int lead = b[i] & 0xff;
    if (lead < 0x80) {
      return 1;
    }
    int length;
    int lo = 0x80;
    int hi = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) {
        lo = 0xa0;
      } else if (lead == 0xed) {
        hi = 0x9f;
      }
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) {
        lo = 0x90;
      } else if (lead == 0xf4) {
        hi = 0x8f;
      }
    } else {
      return 0;
    }
    if (i + length > b.length) {
      return 0;
    }
    int second = b[i + 1] & 0xff;
    if (second < lo || second > hi) {
      return 0;
    }
    for (int k = 2; k < length; k++) {
      int c = b[i + k] & 0xff;
      if (c < 0x80 || c > 0xbf) {
        return 0;
      }
    }
    return length;
  }

  private static int codePoint(byte[] b, int i, int length) {
    int lead = b[i] & 0xff;
    if (length == 1) {
      return lead;
    }
    int cp = lead & (0xff >> (length + 1));
    for (int k = 1; k < length; k++) {
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    return cp;
  }
}
