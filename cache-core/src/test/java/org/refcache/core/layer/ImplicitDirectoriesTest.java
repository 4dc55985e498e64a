package org.refcache.core.layer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.TreeLayer;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * A layer whose tar has entries deep down without entries for their parent directories (umoci and
 * other tree differs write changes that way) says nothing about those directories' metadata: the
 * union shows the lower layers' (as the layer applied onto its lower tree would leave it), not
 * whatever the unpack happened to give the directories it had to make.
 */
class ImplicitDirectoriesTest {
  private static final Instant LOWER_MTIME = Instant.ofEpochSecond(1_500_000_000L, 123_000_000);

  @TempDir Path tmp;

  private Path unpack(String name, byte[] tar) throws IOException {
    Path dir = tmp.resolve(name);
    new LayerUnpacker().unpack(new ByteArrayInputStream(tar), MediaTypes.OCI_LAYER, dir, null);
    return dir;
  }

  @Test
  void aParentWithoutAnEntryShowsTheLowerLayersDirectory() throws IOException {
    Path lower = unpack("lower", new TarBuilder()
        .owner(12, 34).mode(0700).times(LOWER_MTIME, null).dir("etc/")
        .owner(12, 34).mode(0750).times(LOWER_MTIME, null).dir("etc/conf.d/")
        .file("etc/conf.d/a.conf", "a=1\n").build());
    Path upper = unpack("upper", new TarBuilder().file("etc/conf.d/a.conf", "a=2\n")
        .file("etc/new/deep", "x").build());
    OverlayTree tree = OverlayTree.of(List.of(new TreeLayer.Directory(upper), new TreeLayer.Directory(lower)));

    Stat etc = tree.attributes("etc").orElseThrow();
    Stat confd = tree.attributes("etc/conf.d").orElseThrow();

    assertThat(etc.permissions()).isEqualTo(0700);
    assertThat(etc.uid()).isEqualTo(12);
    assertThat(etc.mtime()).isEqualTo(LOWER_MTIME);
    assertThat(confd.permissions()).isEqualTo(0750);
    assertThat(confd.mtime()).isEqualTo(LOWER_MTIME);
    assertThat(Files.readString(tree.resolve("etc/conf.d/a.conf").orElseThrow().real())).isEqualTo("a=2\n");
    assertThat(tree.listXattr("etc")).isEmpty();
    // The inode number stays the one the listing gives.
    assertThat(tree.list("").get(0).ino()).isEqualTo(tree.resolve("etc").orElseThrow().ino());
    // Nothing below: the made directory as it is, the same for every unpack of the layer.
    Stat made = tree.attributes("etc/new").orElseThrow();
    assertThat(made.permissions()).isEqualTo(0755);
    assertThat(made.uid()).isZero();
    assertThat(made.mtime()).isEqualTo(OverlayFormat.IMPLICIT_MTIME);
  }

  @Test
  void aDirectoryWithItsOwnEntryLaterInTheTarIsNotImplicit() throws IOException {
    Path lower = unpack("lower", new TarBuilder().mode(0700).times(LOWER_MTIME, null).dir("d/").build());
    Instant own = Instant.ofEpochSecond(1_600_000_123L);
    Path upper = unpack("upper", new TarBuilder().file("d/f", "f").mode(0711).times(own, null).dir("d/").build());
    OverlayTree tree = OverlayTree.of(List.of(new TreeLayer.Directory(upper), new TreeLayer.Directory(lower)));

    Stat d = tree.attributes("d").orElseThrow();

    assertThat(d.permissions()).isEqualTo(0711);
    assertThat(d.mtime()).isEqualTo(own);
    assertThat(Posix.lgetxattr(upper.resolve("d"), OverlayFormat.IMPLICIT_XATTR)).isEmpty();
  }
}
