package org.refcache.core.digest;

import java.nio.ByteBuffer;
import java.util.Objects;
import org.bouncycastle.crypto.CryptoServicesRegistrar;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.util.encoders.Hex;

/**
 * An incremental hash of one algorithm, backed by Bouncy Castle's {@code SHA256Digest} /
 * {@code SHA512Digest}. Made with their {@code newInstance()}: Bouncy Castle's LTS build then hashes
 * with the CPU's SHA instructions where it has them (about 700 MB/s here against 110 MB/s in Java,
 * docs/PERFORMANCE.md), and in Java elsewhere; the results are the same ({@link #implementation()}
 * says which runs).
 *
 * <p>Single use and not thread-safe: feed it with {@code update}, then call {@link #digest()} once;
 * after that it only repeats the result, and further updates fail with {@link IllegalStateException}.
 */
public final class Digester {
  private static final int COPY_CHUNK = 8192;

  private final String algorithm;
  private final org.bouncycastle.crypto.Digest hash;
  private byte[] chunk;
  private Digest result;

  private Digester(String algorithm, org.bouncycastle.crypto.Digest hash) {
    this.algorithm = algorithm;
    this.hash = hash;
  }

  /**
   * A digester for {@code algorithm} ({@value Digest#SHA256} or {@value Digest#SHA512}).
   *
   * @throws InvalidDigestException for any other algorithm
   */
  public static Digester of(String algorithm) {
    Objects.requireNonNull(algorithm, "algorithm");
    return switch (algorithm) {
      case Digest.SHA256 -> new Digester(algorithm, SHA256Digest.newInstance());
      case Digest.SHA512 -> new Digester(algorithm, SHA512Digest.newInstance());
      default -> throw new InvalidDigestException("unsupported digest algorithm \"" + algorithm
          + "\" (supported: " + Digest.SHA256 + ", " + Digest.SHA512 + ")");
    };
  }

  /**
   * Which SHA-256 implementation runs here: Bouncy Castle's native one and its status, or Java
   * (for the service's start-up log).
   */
  public static String implementation() {
    return SHA256Digest.newInstance().getClass().getSimpleName() + " (Bouncy Castle native services: "
        + CryptoServicesRegistrar.getNativeServices().getStatusMessage() + ")";
  }

  /** A SHA-256 digester. */
  public static Digester sha256() {
    return of(Digest.SHA256);
  }

  /** The algorithm this digester computes. */
  public String algorithm() {
    return algorithm;
  }

  /** Adds one byte. */
  public void update(byte b) {
    ensureOpen();
    hash.update(b);
  }

  /** Adds {@code len} bytes of {@code b} from {@code off}. */
  public void update(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    hash.update(b, off, len);
  }

  /** Adds the remaining bytes of {@code b}; its position moves to its limit. */
  public void update(ByteBuffer b) {
    ensureOpen();
    if (b.hasArray()) {
      hash.update(b.array(), b.arrayOffset() + b.position(), b.remaining());
      b.position(b.limit());
      return;
    }
    if (chunk == null) {
      chunk = new byte[COPY_CHUNK];
    }
    while (b.hasRemaining()) {
      int n = Math.min(chunk.length, b.remaining());
      b.get(chunk, 0, n);
      hash.update(chunk, 0, n);
    }
  }

  /** Finishes the hash (first call) and returns it; later calls return the same digest. */
  public Digest digest() {
    if (result == null) {
      byte[] out = new byte[hash.getDigestSize()];
      hash.doFinal(out, 0);
      result = new Digest(algorithm, Hex.toHexString(out));
    }
    return result;
  }

  private void ensureOpen() {
    if (result != null) {
      throw new IllegalStateException("digester already finished with " + result);
    }
  }
}
