package org.refcache.posix;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * How a file name's bytes live in a Java {@code String} here. A Linux file name is bytes, not
 * text: any byte but NUL and {@code /}, UTF-8 or not. jnr-ffi turns every {@code char *} into a
 * {@code String} and back in the JVM's default charset, jnr-fuse's callbacks included, so with
 * ISO-8859-1 as that charset (one char per byte, both ways) a name read from FUSE, from a
 * directory or from a tar header and handed to {@link Posix} names the same file, whatever its
 * bytes. The service runs with {@code -Dfile.encoding=ISO-8859-1} for that reason.
 *
 * <p>Such a "byte string" is not text: a UTF-8 name {@code café} is the five chars
 * {@code c a f \u00c3 \u00a9}. Text that means a path (from the command line, JSON, the
 * environment) is turned into a byte string with {@link #fromText} before {@link Posix} gets it,
 * and a byte string shown to a person goes through {@link #toText}.
 */
public final class FileNames {

  private FileNames() {
  }

  /** Whether this JVM keeps file names byte for byte (its default charset is ISO-8859-1). */
  public static boolean byteExact() {
    return Charset.defaultCharset().equals(StandardCharsets.ISO_8859_1);
  }

  /** The byte string of {@code text}'s UTF-8 encoding (what a UTF-8 locale's file name is). */
  public static String fromText(String text) {
    return byteExact() ? new String(text.getBytes(StandardCharsets.UTF_8),
        StandardCharsets.ISO_8859_1) : text;
  }

  /** {@code name}'s bytes read as UTF-8, for people; bytes that are not UTF-8 become U+FFFD. */
  public static String toText(String name) {
    return byteExact() ? new String(name.getBytes(StandardCharsets.ISO_8859_1),
        StandardCharsets.UTF_8) : name;
  }

  /** The bytes of a file name held in a String (see the class comment). */
  public static byte[] bytes(String name) {
    return name.getBytes(Charset.defaultCharset());
  }
}
