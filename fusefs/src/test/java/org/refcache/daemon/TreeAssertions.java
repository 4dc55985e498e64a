package org.refcache.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;

/** Checks a tree seen through the mount against the entries of the tar it came from. */
final class TreeAssertions {
  private TreeAssertions() {}

  static void assertTreeMatches(Path tree, List<LayerTar.Entry> entries) throws IOException {
    SoftAssertions soft = new SoftAssertions();
    for (LayerTar.Entry e : entries) {
      Path p = tree.resolve(e.path());
      Stat s = Posix.lstat(p);
      String what = e.path();
      if (e instanceof LayerTar.HardLink h) {
        Stat target = Posix.lstat(tree.resolve(h.target()));
        soft.assertThat(s.isRegularFile()).as(what + " is a file").isTrue();
        soft.assertThat(s.ino()).as(what + " inode").isEqualTo(target.ino());
        soft.assertThat(s.nlink()).as(what + " link count").isEqualTo(2);
        soft.assertThat(target.nlink()).as(h.target() + " link count").isEqualTo(2);
        soft.assertThat(Files.readAllBytes(p)).as(what + " content").isEqualTo(Files.readAllBytes(tree.resolve(h.target())));
        continue;
      }
      soft.assertThat(s.uid()).as(what + " uid").isEqualTo(e.uid());
      soft.assertThat(s.gid()).as(what + " gid").isEqualTo(e.gid());
      soft.assertThat(s.mtime()).as(what + " mtime").isEqualTo(e.mtime());
      if (!(e instanceof LayerTar.Symlink)) {
        soft.assertThat(Integer.toOctalString(s.permissions())).as(what + " mode").isEqualTo(Integer.toOctalString(e.mode()));
      }
      if (e instanceof LayerTar.Dir) {
        soft.assertThat(s.isDirectory()).as(what + " is a directory").isTrue();
      } else if (e instanceof LayerTar.File f) {
        soft.assertThat(s.isRegularFile()).as(what + " is a file").isTrue();
        soft.assertThat(s.size()).as(what + " size").isEqualTo(f.content().length);
        soft.assertThat(Files.readAllBytes(p)).as(what + " content").isEqualTo(f.content());
      } else if (e instanceof LayerTar.Symlink l) {
        soft.assertThat(s.isSymlink()).as(what + " is a symlink").isTrue();
        soft.assertThat(Files.readSymbolicLink(p).toString()).as(what + " target").isEqualTo(l.target());
      } else if (e instanceof LayerTar.Fifo) {
        soft.assertThat(s.isFifo()).as(what + " is a FIFO").isTrue();
      } else if (e instanceof LayerTar.CharDevice c) {
        soft.assertThat(s.isCharDevice()).as(what + " is a char device").isTrue();
        soft.assertThat(Posix.major(s.rdev())).as(what + " major").isEqualTo(c.major());
        soft.assertThat(Posix.minor(s.rdev())).as(what + " minor").isEqualTo(c.minor());
      }
      for (Map.Entry<String, String> x : e.xattrs().entrySet()) {
        soft.assertThat(Xattrs.lgetxattr(p, x.getKey()).map(b -> new String(b, StandardCharsets.UTF_8)))
            .as(what + " xattr " + x.getKey()).contains(x.getValue());
      }
    }
    soft.assertAll();
    List<String> top = entries.stream().map(e -> e.path().split("/")[0]).distinct().sorted().toList();
    try (var s = Files.list(tree)) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(top);
    }
  }
}
