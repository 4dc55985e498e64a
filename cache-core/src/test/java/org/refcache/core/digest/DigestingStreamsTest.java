package org.refcache.core.digest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DigestingStreamsTest {
  private static byte[] randomBytes(int n) {
    byte[] data = new byte[n];
    new Random(n).nextBytes(data);
    return data;
  }

  @Test
  void inputStreamDigestAndCountEqualOneShotOverEverythingRead() throws IOException {
    byte[] data = randomBytes(200_001);
    try (DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data), Digester.sha256())) {
      assertThat(in.read()).isEqualTo(data[0] & 0xff);
      byte[] rest = in.readAllBytes();

      assertThat(rest).hasSize(data.length - 1);
      assertThat(in.count()).isEqualTo(data.length);
      assertThat(in.digest()).isEqualTo(Digest.sha256(data));
    }
  }

  @Test
  void skippedBytesAreStillHashed() throws IOException {
    byte[] data = randomBytes(30_000);
    try (DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data), Digester.sha256())) {
      in.readNBytes(100);
      assertThat(in.skip(20_000)).isEqualTo(20_000);
      in.transferTo(OutputStreamSink.INSTANCE);

      assertThat(in.count()).isEqualTo(data.length);
      assertThat(in.digest()).isEqualTo(Digest.sha256(data));
      assertThat(in.markSupported()).isFalse();
    }
  }

  @Test
  void outputStreamDigestAndCountEqualOneShotAndBytesPassThrough() throws IOException {
    byte[] data = randomBytes(70_000);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (DigestingOutputStream out = new DigestingOutputStream(sink, Digester.of("sha512"))) {
      out.write(data[0]);
      out.write(data, 1, 999);
      out.write(java.util.Arrays.copyOfRange(data, 1000, data.length));

      assertThat(out.count()).isEqualTo(data.length);
      assertThat(out.digest()).isEqualTo(Digest.sha512(data));
    }
    assertThat(sink.toByteArray()).isEqualTo(data);
  }

  /** Discards everything written. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}
