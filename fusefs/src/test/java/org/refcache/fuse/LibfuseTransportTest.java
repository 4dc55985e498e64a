package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.testing.LayerBuilder;

/**
 * libfuse 2.9, the fallback for a service that may not mount(2) itself, is what serves a mount
 * that asks for it. (The view's contract tests and the POSIX suite run on it too, with its limits
 * named: {@link TransportLimits}, {@code PosixConformanceTest.LIBFUSE_EXCLUDED}.)
 */
class LibfuseTransportTest {

  @TempDir
  Path tmp;
  ViewFixture view;

  @AfterEach
  void tearDown() throws IOException {
    if (view != null) {
      view.close();
    }
  }

  @Test
  void servesReadOnlyAndWritableRefs() throws IOException {
    view = new ViewFixture(tmp);
    Path layer = view.layer("l");
    LayerBuilder.allAt(layer, LayerBuilder.OLD).file("f", "from the layer");
    view.addReadOnly("ro", layer);
    view.addWritable("w", layer);
    FuseMount mount = view.mount(FuseOptions.defaults()
        .withTransport(FuseOptions.Transport.LIBFUSE));
    assertThat(mount.transport()).isEqualTo(FuseOptions.Transport.LIBFUSE);

    assertThat(Files.readString(view.ref("ro").resolve("f"))).isEqualTo("from the layer");
    Files.writeString(view.ref("w").resolve("f"), "changed");
    Files.createLink(view.ref("w").resolve("g"), view.ref("w").resolve("f"));
    assertThat(Files.readString(view.ref("w").resolve("g"))).isEqualTo("changed");
    assertThat(Files.readString(layer.resolve("f"))).isEqualTo("from the layer");
  }
}
