package org.refcache.core.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DigestTest {
  private static final String HEX64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String HEX128 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
      + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

  @Test
  void parsesSha256AndKeepsAlgorithmAndHex() {
    Digest d = Digest.parse("sha256:" + HEX64);

    assertThat(d.algorithm()).isEqualTo("sha256");
    assertThat(d.hex()).isEqualTo(HEX64);
    assertThat(d.encoded()).isEqualTo(HEX64);
    assertThat(d).hasToString("sha256:" + HEX64);
  }

  @Test
  void parsesSha512() {
    Digest d = Digest.parse("sha512:" + HEX128);

    assertThat(d.algorithm()).isEqualTo("sha512");
    assertThat(d.hex()).hasSize(128);
  }

  @Test
  void equalStringsParseToEqualDigests() {
    assertThat(Digest.parse("sha256:" + HEX64)).isEqualTo(new Digest("sha256", HEX64))
        .hasSameHashCodeAs(new Digest("sha256", HEX64));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "md5:d41d8cd98f00b204e9800998ecf8427e",                                  // unknown algorithm
      "sha384:" + HEX64,                                                      // unknown algorithm
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", // 63 characters
      "sha256:" + HEX64 + "0",                                                // 65 characters
      "sha512:" + HEX64,                                                      // sha256 length for sha512
      "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", // upper case
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", // non-hex
      "sha256" + HEX64,                                                       // missing colon
      "sha256-" + HEX64,                                                      // wrong separator
      "",
      ":",
      "SHA256:" + HEX64,                                                      // upper-case algorithm
  })
  void rejectsMalformedDigestWithMessageNamingTheInput(String input) {
    assertThatThrownBy(() -> Digest.parse(input))
        .isInstanceOf(InvalidDigestException.class)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"" + input + "\"");
  }

  @Test
  void rejectionSaysWhatIsWrong() {
    assertThatThrownBy(() -> Digest.parse("sha1:abc")).hasMessageContaining("unsupported algorithm");
    assertThatThrownBy(() -> Digest.parse("sha256:abc")).hasMessageContaining("64 hex characters, got 3");
    assertThatThrownBy(() -> Digest.parse("sha256:" + HEX64.toUpperCase()))
        .hasMessageContaining("upper-case");
    assertThatThrownBy(() -> Digest.parse("sha256:" + HEX64.replace('e', 'z')))
        .hasMessageContaining("non-hex");
    assertThatThrownBy(() -> Digest.parse(HEX64)).hasMessageContaining("missing ':'");
  }

  @Test
  void constructorValidatesLikeParse() {
    assertThatThrownBy(() -> new Digest("sha256", HEX64.toUpperCase()))
        .isInstanceOf(InvalidDigestException.class)
        .hasMessageContaining("sha256:" + HEX64.toUpperCase());
    assertThatThrownBy(() -> new Digest("blake3", HEX64)).isInstanceOf(InvalidDigestException.class);
  }

  @Test
  void sha256OfStringHashesItsUtf8Bytes() {
    assertThat(Digest.sha256("héllo")).isEqualTo(Digest.sha256("héllo".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  @Test
  void ordersByAlgorithmThenHex() {
    Digest a = new Digest("sha256", "0".repeat(64));
    Digest b = new Digest("sha256", "1".repeat(64));
    Digest c = new Digest("sha512", "0".repeat(128));

    assertThat(a).isLessThan(b);
    assertThat(b).isLessThan(c);
  }
}
