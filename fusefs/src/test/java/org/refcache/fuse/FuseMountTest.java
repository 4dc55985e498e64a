package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.testing.Mounts;

@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class FuseMountTest extends ViewOnEachTransport {

  FuseMountTest(FuseOptions.Transport transport) {
    super(transport);
  }

  @Test
  void mountShowsRefsDirectoryWithEveryRefId() throws IOException {
    Path layer = view.layer("a");
    Files.writeString(layer.resolve("hello.txt"), "hello", StandardCharsets.UTF_8);
    view.addReadOnly("ref1", layer);
    view.addReadOnly("ref2", layer);
    FuseMount mount = view.mount();

    assertThat(mount.isMounted()).isTrue();
    assertThat(Mounts.under(tmp)).containsExactly(view.mountpoint);
    try (Stream<Path> top = Files.list(view.mountpoint)) {
      assertThat(top.map(p -> p.getFileName().toString())).containsExactly("refs");
    }
    try (Stream<Path> refs = Files.list(view.mountpoint.resolve("refs"))) {
      assertThat(refs.map(p -> p.getFileName().toString())).containsExactly("ref1", "ref2");
    }
    assertThat(Files.readString(view.ref("ref1").resolve("hello.txt"))).isEqualTo("hello");
  }

  @Test
  void unknownRefIsNoSuchFile() throws IOException {
    view.addReadOnly("known", view.layer("a"));
    view.mount();

    assertThat(Files.exists(view.ref("unknown"))).isFalse();
    assertThatThrownBy(() -> Files.readString(view.ref("unknown").resolve("x")))
        .isInstanceOf(NoSuchFileException.class);
    assertThat(Files.exists(view.mountpoint.resolve("other"))).isFalse();
  }

  @Test
  void closeUnmountsAndReleasesEveryLease() throws IOException {
    Path layer = view.layer("a");
    Files.writeString(layer.resolve("f"), "x");
    view.addReadOnly("r", layer);
    FuseMount mount = view.mount();
    assertThat(Files.readString(view.ref("r").resolve("f"))).isEqualTo("x");
    assertThat(view.source.leasesHeld()).isEqualTo(1);

    mount.close();
    mount.close();

    assertThat(mount.isMounted()).isFalse();
    assertThat(Mounts.under(tmp)).isEmpty();
    assertThat(view.source.leasesHeld()).isZero();
  }

  @Test
  void aMountLibfuseRefusesFailsWithNothingLeftMounted() throws IOException {
    view.addReadOnly("r", view.layer("a"));

    assertThatThrownBy(() -> FuseMount.mount(view.source, view.mountpoint,
        FuseOptions.defaults().withExtraOptions(java.util.List.of("no_such_option"))
            .withTransport(transport)))
        .isInstanceOf(IOException.class);
    assertThat(Mounts.under(tmp)).isEmpty();
  }

  @Test
  void mountingOverAMountFails() throws IOException {
    view.addReadOnly("r", view.layer("a"));
    view.mount();

    assertThatThrownBy(() -> FuseMount.mount(view.source, view.mountpoint,
        FuseOptions.defaults().withTransport(transport)))
        .isInstanceOf(FileSystemException.class);
  }
}
