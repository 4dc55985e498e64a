package org.refcache.core.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Bouncy Castle results against published test vectors (FIPS 180-2 examples, NIST CAVP). */
class DigesterTest {
  private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);

  @Test
  void sha256OfEmptyInputMatchesKnownVector() {
    assertThat(Digest.sha256(new byte[0])).hasToString(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void sha256OfAbcMatchesKnownVector() {
    assertThat(Digest.sha256("abc")).hasToString(
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void sha256OfTwoBlockMessageMatchesKnownVector() {
    assertThat(Digest.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hasToString(
        "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }

  @Test
  void sha512OfAbcMatchesKnownVector() {
    Digester d = Digester.of("sha512");
    d.update(ABC, 0, ABC.length);

    assertThat(d.digest()).hasToString("sha512:"
        + "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  }

  @Test
  void incrementalUpdatesEqualOneShot() {
    byte[] data = new byte[100_003];
    new Random(42).nextBytes(data);
    Digester d = Digester.sha256();
    int off = 0;
    int step = 1;
    while (off < data.length) {
      int n = Math.min(step, data.length - off);
      d.update(data, off, n);
      off += n;
      step = step * 3 + 1;
    }

    assertThat(d.digest()).isEqualTo(Digest.sha256(data));
  }

  @Test
  void heapAndDirectByteBuffersHashTheirRemainingBytes() {
    byte[] data = new byte[50_000];
    new Random(7).nextBytes(data);
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 10);
    direct.position(10);
    direct.put(data).flip().position(10);
    ByteBuffer heap = ByteBuffer.wrap(data, 0, data.length);

    Digester viaDirect = Digester.sha256();
    viaDirect.update(direct);
    Digester viaHeap = Digester.sha256();
    viaHeap.update(heap);

    assertThat(viaDirect.digest()).isEqualTo(Digest.sha256(data));
    assertThat(viaHeap.digest()).isEqualTo(Digest.sha256(data));
    assertThat(direct.hasRemaining()).isFalse();
    assertThat(heap.hasRemaining()).isFalse();
  }

  @Test
  void digestIsStableAndFurtherUpdatesAreRefused() {
    Digester d = Digester.sha256();
    d.update(ABC, 0, 3);
    Digest first = d.digest();

    assertThat(d.digest()).isEqualTo(first);
    assertThatThrownBy(() -> d.update(ABC, 0, 3)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void unknownAlgorithmIsRejected() {
    assertThatThrownBy(() -> Digester.of("md5"))
        .isInstanceOf(InvalidDigestException.class)
        .hasMessageContaining("\"md5\"");
  }
}
