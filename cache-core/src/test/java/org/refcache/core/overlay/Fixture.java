package org.refcache.core.overlay;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.refcache.core.layer.OverlayFormat;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;
import org.refcache.testing.LayerBuilder;

/**
 * Two hand-built lower layers exercising every overlay rule, and the same tree flattened into a
 * plain directory by an independent, deliberately simple model of applying layers in order (the
 * way a tar layer is applied): whiteouts delete, opaque directories replace, directories merge
 * and take the top's attributes, non-directories replace.
 */
final class Fixture {

  final Path top;
  final Path bottom;

  private Fixture(Path top, Path bottom) {
    this.top = top;
    this.bottom = bottom;
  }

  List<Path> lowers() {
    return List.of(top, bottom);
  }

  /** Builds the two lowers under {@code base}. */
  static Fixture create(Path base) throws IOException {
    LayerBuilder b = new LayerBuilder(base.resolve("lower-bottom"));
    b.file("a.txt", "alpha", 0644, 1000, 1000)
        .xattr("a.txt", "user.color", "blue")
        .xattr("a.txt", "trusted.note", "kept")
        .file("setuid.bin", "#!/bin/true\n", 04755, 0, 0)
        .file("gone.txt", "to be whited out")
        .dir("dir1", 0755, 0, 0)
        .file("dir1/f1", "one")
        .file("dir1/f2", "two (bottom)")
        .dir("dir1/sub")
        .file("dir1/sub/deep.txt", "deep")
        .file("dir1/sub/keep.txt", "keep", 0600, 7, 8)
        .touch("dir1/sub")
        .touch("dir1")
        .dir("dir2", 0700, 3, 3)
        .file("dir2/x.txt", "x")
        .file("dir2/y.txt", "y")
        .touch("dir2")
        .file("fileToDir", "was a file")
        .dir("dirToFile")
        .file("dirToFile/child", "hidden by the top file")
        .touch("dirToFile")
        .symlink("link", "a.txt")
        .symlink("dangling", "../nowhere//x/")
        .fifo("fifo", 0640)
        .device("null", Posix.S_IFCHR, 1, 3)
        .device("loop", Posix.S_IFBLK, 7, 0)
        .dir("emptydir", 01777, 0, 0)
        .dir("shared", 0755, 1, 1)
        .xattr("shared", "user.layer", "bottom")
        .file("shared/s2.txt", "s2")
        .file("shared/both.txt", "bottom version")
        .touch("shared")
        .dir("lowdir", 0751, 2, 2)
        .dir("lowdir/a")
        .dir("lowdir/a/b")
        .file("lowdir/a/b/leaf", "leaf", 0444, 4, 4)
        .touch("lowdir/a/b")
        .touch("lowdir/a")
        .file("lowdir/top", "top")
        .touch("lowdir");
    LayerBuilder t = new LayerBuilder(base.resolve("lower-top"));
    t.whiteout("gone.txt")
        .dir("dir2", 0750, 4, 4)
        .opaque("dir2")
        .file("dir2/z.txt", "z")
        .touch("dir2")
        .dir("fileToDir")
        .file("fileToDir/inner.txt", "inner")
        .touch("fileToDir")
        .file("dirToFile", "now a file")
        .dir("shared", 0750, 5, 5)
        .xattr("shared", "user.layer", "top")
        .file("shared/s1.txt", "s1")
        .file("shared/both.txt", "top version")
        .whiteout("shared/never-existed")
        .touch("shared")
        .dir("dir1", 0711, 0, 0)
        .file("dir1/f2", "two (top)", 0640, 0, 0)
        .dir("dir1/sub")
        .whiteout("dir1/sub/deep.txt")
        .file("dir1/sub/deep2.txt", "deeper")
        .touch("dir1/sub")
        .touch("dir1")
        .file("newtop.txt", "new on top", 0600, 1234, 4321);
    return new Fixture(t.root(), b.root());
  }

  /** Flattens the lowers into {@code target} (an existing, empty directory). */
  void flattenInto(Path target) throws IOException {
    apply(bottom, target);
    apply(top, target);
  }

  private static void apply(Path layerDir, Path targetDir) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(layerDir)) {
      stream.forEach(children::add);
    }
    for (Path child : children) {
      Path target = targetDir.resolve(child.getFileName().toString());
      Stat stat = Posix.lstat(child);
      Optional<Stat> existing = lstat(target);
      if (stat.isCharDevice() && stat.rdev() == 0) {
        if (existing.isPresent()) {
          LayerFiles.deleteTree(target);
        }
        continue;
      }
      if (stat.isDirectory()) {
        boolean opaque = Xattrs.lgetxattr(child, OverlayFormat.OPAQUE_XATTR).isPresent();
        if (existing.isPresent() && (!existing.get().isDirectory() || opaque)) {
          LayerFiles.deleteTree(target);
          existing = Optional.empty();
        }
        if (existing.isEmpty()) {
          Files.createDirectory(target);
        }
        apply(child, target);
        copyAttributes(child, stat, target);
      } else {
        if (existing.isPresent()) {
          LayerFiles.deleteTree(target);
        }
        switch (stat.type()) {
          case Posix.S_IFREG -> Files.write(target, Files.readAllBytes(child));
          case Posix.S_IFLNK -> Files.createSymbolicLink(target, Files.readSymbolicLink(child));
          default -> Posix.mknod(target, stat.type() | 0600, stat.rdev());
        }
        copyAttributes(child, stat, target);
      }
    }
  }

  private static Optional<Stat> lstat(Path p) throws IOException {
    try {
      return Optional.of(Posix.lstat(p));
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private static void copyAttributes(Path from, Stat stat, Path to) throws IOException {
    for (String name : Xattrs.llistxattr(to)) {
      Xattrs.lremovexattr(to, name);
    }
    for (String name : Xattrs.llistxattr(from)) {
      if (!name.startsWith("trusted.overlay.")) {
        Xattrs.lsetxattr(to, name, Xattrs.lgetxattr(from, name).orElseThrow(), 0);
      }
    }
    Posix.lchown(to, stat.uid(), stat.gid());
    if (!stat.isSymlink()) {
      Posix.chmod(to, stat.permissions());
    }
    Posix.utimens(to, stat.atime(), stat.mtime(), true);
  }
}
