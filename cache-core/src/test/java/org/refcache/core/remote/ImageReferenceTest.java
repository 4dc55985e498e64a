package org.refcache.core.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.refcache.core.digest.Digest;

class ImageReferenceTest {
  private static final Digest D = Digest.sha256("manifest");

  @Test
  void parsesHostPortRepositoryAndTag() {
    ImageReference r = ImageReference.parse("registry.example:5000/team/app:1.0");

    assertThat(r.registry()).isEqualTo("registry.example:5000");
    assertThat(r.host()).isEqualTo("registry.example");
    assertThat(r.repository()).isEqualTo("team/app");
    assertThat(r.tag()).isEqualTo("1.0");
    assertThat(r.digest()).isNull();
    assertThat(r.manifestReference()).isEqualTo("1.0");
    assertThat(r).hasToString("registry.example:5000/team/app:1.0");
  }

  @Test
  void withoutTagOrDigestTheTagIsLatest() {
    assertThat(ImageReference.parse("localhost/app").tag()).isEqualTo("latest");
    assertThat(ImageReference.parse("127.0.0.1:5000/a/b/c").tag()).isEqualTo("latest");
  }

  @Test
  void digestWinsOverTagForFetchingAndBothArePrinted() {
    ImageReference r = ImageReference.parse("127.0.0.1:5000/app:v1@" + D);

    assertThat(r.tag()).isEqualTo("v1");
    assertThat(r.digest()).isEqualTo(D);
    assertThat(r.manifestReference()).isEqualTo(D.toString());
    assertThat(r).hasToString("127.0.0.1:5000/app:v1@" + D);
    assertThat(ImageReference.parse("127.0.0.1:5000/app@" + D).tag()).isNull();
    assertThat(r.byDigest(D).tag()).isNull();
  }

  @Test
  void ipv6HostInBrackets() {
    ImageReference r = ImageReference.parse("[::1]:5000/app:1");

    assertThat(r.host()).isEqualTo("::1");
    assertThat(r.registry()).isEqualTo("[::1]:5000");
  }

  @Test
  void shortNameWithoutRegistryHostIsRefusedNotCompleted() {
    assertThatThrownBy(() -> ImageReference.parse("ubuntu:22.04"))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("\"ubuntu:22.04\"")
        .hasMessageContaining("no registry host");
    assertThatThrownBy(() -> ImageReference.parse("library/ubuntu"))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("\"library\" is not a registry host");
  }

  @Test
  void invalidPartsAreNamed() {
    assertThatThrownBy(() -> ImageReference.parse("localhost/Team/app"))
        .hasMessageContaining("repository component \"Team\"");
    assertThatThrownBy(() -> ImageReference.parse("localhost/app:-bad"))
        .hasMessageContaining("tag \"-bad\"");
    assertThatThrownBy(() -> ImageReference.parse("localhost/app@sha256:abc"))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("sha256 needs 64 hex characters");
    assertThatThrownBy(() -> ImageReference.parse("local_host:5000/app"))
        .hasMessageContaining("not a registry host");
    assertThatThrownBy(() -> ImageReference.parse("localhost/app//x"))
        .hasMessageContaining("repository component \"\"");
    assertThatThrownBy(() -> ImageReference.parse("localhost/" + "a".repeat(260)))
        .hasMessageContaining("longer than 255");
  }

  @Test
  void separatorsInRepositoryComponents() {
    assertThat(ImageReference.parse("localhost/my-team/app_name.v2__x:1").repository())
        .isEqualTo("my-team/app_name.v2__x");
    assertThatThrownBy(() -> ImageReference.parse("localhost/app-/x")).isInstanceOf(InvalidReferenceException.class);
  }
}
