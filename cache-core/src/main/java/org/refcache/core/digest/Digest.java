package org.refcache.core.digest;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A content digest in canonical form: a supported algorithm ({@value #SHA256} or {@value #SHA512})
 * and the lower-case hex encoding of the hash, written {@code <algorithm>:<hex>}.
 *
 * <p>The canonical constructor validates, so every instance is canonical and {@link #equals} means
 * "same content". Upper-case hex is rejected rather than normalised: the OCI image spec defines the
 * encoded part as lower-case, and accepting two spellings would give one blob two names.
 *
 * @param algorithm the hash algorithm, {@value #SHA256} or {@value #SHA512}
 * @param hex the hash, lower-case hex, 64 characters for sha256 and 128 for sha512
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {
  /** The algorithm name of SHA-256 digests. */
  public static final String SHA256 = "sha256";
  /** The algorithm name of SHA-512 digests. */
  public static final String SHA512 = "sha512";

  /** Validates the canonical form; see the class documentation. */
  public Digest {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(hex, "hex");
    String problem = problem(algorithm, hex);
    if (problem != null) {
      throw new InvalidDigestException("invalid digest \"" + algorithm + ":" + hex + "\": " + problem);
    }
  }

  /**
   * Parses {@code <algorithm>:<hex>}.
   *
   * @throws InvalidDigestException when the colon is missing, the algorithm is not supported, or the
   *     hex part has the wrong length or is not lower-case hex; the message names {@code s}
   */
  public static Digest parse(String s) {
    Objects.requireNonNull(s, "digest string");
    int colon = s.indexOf(':');
    if (colon < 0) {
      throw new InvalidDigestException("invalid digest \"" + s + "\": missing ':' between algorithm and hex");
    }
    String algorithm = s.substring(0, colon);
    String hex = s.substring(colon + 1);
    String problem = problem(algorithm, hex);
    if (problem != null) {
      throw new InvalidDigestException("invalid digest \"" + s + "\": " + problem);
    }
    return new Digest(algorithm, hex);
  }

  /** The SHA-256 digest of {@code data}. */
  public static Digest sha256(byte[] data) {
    Digester d = Digester.sha256();
    d.update(data, 0, data.length);
    return d.digest();
  }

  /** The SHA-256 digest of the UTF-8 encoding of {@code utf8}. */
  public static Digest sha256(String utf8) {
    return sha256(utf8.getBytes(StandardCharsets.UTF_8));
  }

  /** The SHA-512 digest of {@code data}. */
  public static Digest sha512(byte[] data) {
    Digester d = Digester.of(SHA512);
    d.update(data, 0, data.length);
    return d.digest();
  }

  /** The hex part ({@code hex()} under the name the OCI libraries use). */
  public String encoded() {
    return hex;
  }

  /** {@code <algorithm>:<hex>}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  /** Orders by algorithm, then by hex (which is the order of the raw hash bytes). */
  @Override
  public int compareTo(Digest o) {
    int c = algorithm.compareTo(o.algorithm);
    return c != 0 ? c : hex.compareTo(o.hex);
  }

  static int hexLength(String algorithm) {
    return switch (algorithm) {
      case SHA256 -> 64;
      case SHA512 -> 128;
      default -> -1;
    };
  }

  private static String problem(String algorithm, String hex) {
    int expected = hexLength(algorithm);
    if (expected < 0) {
      return "unsupported algorithm \"" + algorithm + "\" (supported: " + SHA256 + ", " + SHA512 + ")";
    }
    if (hex.length() != expected) {
      return algorithm + " needs " + expected + " hex characters, got " + hex.length();
    }
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      boolean lowerHex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      if (!lowerHex) {
        return (c >= 'A' && c <= 'F')
            ? "upper-case hex character '" + c + "' at " + i + " (digests are lower-case)"
            : "non-hex character '" + c + "' at " + i;
      }
    }
    return null;
  }
}
