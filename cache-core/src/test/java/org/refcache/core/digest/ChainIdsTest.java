package org.refcache.core.digest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Expected chain IDs are computed independently with the JDK's MessageDigest over "<a> <b>". */
class ChainIdsTest {
  private static final Digest A = Digest.sha256("layer a");
  private static final Digest B = Digest.sha256("layer b");
  private static final Digest C = Digest.sha256("layer c");

  private static String jdkSha256(String s) throws NoSuchAlgorithmException {
    byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    return "sha256:" + HexFormat.of().formatHex(h);
  }

  @Test
  void baseLayerChainIdIsItsDiffId() {
    assertThat(ChainIds.chainId(List.of(A))).isEqualTo(A);
  }

  @Test
  void twoLayerChainIdIsSha256OfBothDigestsJoinedBySpace() throws Exception {
    String expected = jdkSha256(A + " " + B);

    assertThat(ChainIds.chainId(List.of(A, B))).hasToString(expected);
    assertThat(ChainIds.of(A, B)).hasToString(expected);
  }

  @Test
  void threeLayerChainIdFoldsLeft() throws Exception {
    String ab = jdkSha256(A + " " + B);
    String abc = jdkSha256(ab + " " + C);

    assertThat(ChainIds.chainId(List.of(A, B, C))).hasToString(abc);
    assertThat(ChainIds.chainId(List.of(A, B, C))).isNotEqualTo(ChainIds.chainId(List.of(A, C, B)));
  }

  @Test
  void chainOfTwoIdenticalLayersHashesTheRepeatedDigest() throws Exception {
    Digest empty = Digest.parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    assertThat(ChainIds.of(empty, empty)).hasToString(jdkSha256(empty + " " + empty));
  }

  @Test
  void emptyListHasNoChainId() {
    assertThatThrownBy(() -> ChainIds.chainId(List.of())).isInstanceOf(IllegalArgumentException.class);
  }
}
