package org.refcache.core.digest;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class DigestPropertiesTest {
  @Provide
  Arbitrary<Digest> digests() {
    Arbitrary<String> algorithm = Arbitraries.of(Digest.SHA256, Digest.SHA512);
    return algorithm.flatMap(alg -> Arbitraries.strings()
        .withChars("0123456789abcdef")
        .ofLength(alg.equals(Digest.SHA256) ? 64 : 128)
        .map(hex -> new Digest(alg, hex)));
  }

  @Property
  void parseOfToStringIsIdentity(@ForAll("digests") Digest d) {
    assertThat(Digest.parse(d.toString())).isEqualTo(d);
  }

  @Property
  void sha256OfAnyBytesIsCanonical(@ForAll byte[] data) {
    Digest d = Digest.sha256(data);

    assertThat(Digest.parse(d.toString())).isEqualTo(d);
    assertThat(d.hex()).matches("[0-9a-f]{64}");
  }

  @Property
  void splitStreamingEqualsOneShot(@ForAll byte[] data, @ForAll("cuts") int cut) {
    int at = Math.min(cut, data.length);
    Digester d = Digester.sha256();
    d.update(data, 0, at);
    d.update(data, at, data.length - at);

    assertThat(d.digest()).isEqualTo(Digest.sha256(data));
  }

  /** Bouncy Castle's native SHA instructions and the JDK's Java SHA agree on any bytes. */
  @Property
  void sha256AndSha512EqualTheJdksOnAnyBytes(@ForAll byte[] data) throws Exception {
    for (String alg : new String[] {Digest.SHA256, Digest.SHA512}) {
      Digester d = Digester.of(alg);
      d.update(data, 0, data.length);
      String jdkName = alg.equals(Digest.SHA256) ? "SHA-256" : "SHA-512";
      byte[] expected = java.security.MessageDigest.getInstance(jdkName).digest(data);
      assertThat(d.digest().hex()).isEqualTo(java.util.HexFormat.of().formatHex(expected));
    }
  }

  @Provide
  Arbitrary<Integer> cuts() {
    return Arbitraries.integers().between(0, 1000);
  }
}
