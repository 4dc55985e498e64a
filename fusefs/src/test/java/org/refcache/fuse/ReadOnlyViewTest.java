package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.refcache.testing.LayerBuilder.OLD;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.core.overlay.Node;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.posix.Errno;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;
import org.refcache.posix.Xattrs;
import org.refcache.testing.LayerBuilder;

/** A read-only ref seen through the mount is exactly its union of layers, and refuses changes. */
@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class ReadOnlyViewTest extends ViewOnEachTransport {

  ReadOnlyViewTest(FuseOptions.Transport transport) {
    super(transport);
  }

  OverlayTree tree;
  Path ref;

  @BeforeEach
  void setUp() throws IOException {
    Path bottom = view.layer("bottom");
    LayerBuilder.allAt(bottom, OLD)
        .file("plain.txt", "plain bottom")
        .file("setuid-tool", "#!/bin/true\n", 04755, 1234, 5678)
        .file("hidden-by-top", "old content")
        .file("gone", "whited out")
        .file("dir/lower-only", "in a merged dir")
        .file("opaque/lower-child", "hidden by the opaque dir")
        .file("gone-dir/child", "whole dir whited out")
        .file("linked-a", "two names", 0600, 42, 43)
        .symlink("link-to-plain", "plain.txt")
        .symlink("dangling", "../nowhere/at all")
        .xattr("plain.txt", "user.origin", "bottom layer");
    Files.createLink(bottom.resolve("linked-b"), bottom.resolve("linked-a"));
    Posix.symlink("odd//target/./", bottom.resolve("odd-link"));
    Posix.mkfifo(bottom.resolve("fifo"), 0640);
    Posix.mknod(bottom.resolve("null-device"), Posix.S_IFCHR | 0666, Posix.makedev(1, 3));
    LayerBuilder.allAt(bottom, OLD).touch("dir");

    Path top = view.layer("top");
    LayerBuilder.allAt(top, OLD)
        .file("hidden-by-top", "new content from the top", 0600, 7, 8)
        .whiteout("gone")
        .whiteout("gone-dir")
        .file("dir/upper-only", "also in the merged dir")
        .opaque("opaque")
        .file("opaque/top-child", "the only child")
        .touch("dir");

    tree = view.addReadOnly("ro", top, bottom);
    view.mount();
    ref = view.ref("ro");
  }

  @Test
  void symlinkTargetsReadBackByteForByte() throws IOException {
    assertThat(Posix.readlink(ref.resolve("odd-link"))).isEqualTo("odd//target/./");
    assertThat(Posix.readlink(ref.resolve("dangling"))).isEqualTo("../nowhere/at all");
  }

  @Test
  void everyEntryHasTheAttributesOfTheLayerFileThatAnswersForIt() throws IOException {
    Map<String, Stat> seen = walk(ref);

    assertThat(seen.keySet()).containsExactly("", "dangling", "dir", "dir/lower-only",
        "dir/upper-only", "fifo", "hidden-by-top", "link-to-plain", "linked-a", "linked-b",
        "null-device", "odd-link", "opaque", "opaque/top-child", "plain.txt", "setuid-tool");
    for (Map.Entry<String, Stat> entry : seen.entrySet()) {
      Node node = tree.resolve(entry.getKey()).orElseThrow();
      Stat real = Posix.lstat(node.real());
      Stat mounted = entry.getValue();
      assertThat(mounted.mode()).as("mode of %s", entry.getKey()).isEqualTo(real.mode());
      assertThat(mounted.uid()).as("uid of %s", entry.getKey()).isEqualTo(real.uid());
      assertThat(mounted.gid()).as("gid of %s", entry.getKey()).isEqualTo(real.gid());
      assertThat(mounted.size()).as("size of %s", entry.getKey()).isEqualTo(real.size());
      assertThat(mounted.mtime()).as("mtime of %s", entry.getKey()).isEqualTo(real.mtime());
      assertThat(mounted.nlink()).as("nlink of %s", entry.getKey()).isEqualTo(real.nlink());
      if (entry.getKey().isEmpty()) {
        // The ref's root has a number of its own, the same before and after its layers are
        // unpacked (Attributes.refRootIno).
        assertThat(mounted.ino()).as("ino of the root").isEqualTo(Attributes.refRootIno("ro"))
            .isNotEqualTo(real.ino());
      } else {
        assertThat(mounted.ino()).as("ino of %s (use_ino)", entry.getKey()).isEqualTo(real.ino());
      }
      assertThat(mounted.rdev()).as("rdev of %s", entry.getKey()).isEqualTo(real.rdev());
    }
    assertThat(seen.get("setuid-tool").permissions()).isEqualTo(04755);
    assertThat(seen.get("setuid-tool").uid()).isEqualTo(1234);
    assertThat(seen.get("plain.txt").mtime()).isEqualTo(OLD);
    assertThat(seen.get("linked-a").nlink()).isEqualTo(2);
    assertThat(seen.get("linked-a").ino()).isEqualTo(seen.get("linked-b").ino());
    assertThat(seen.get("fifo").isFifo()).isTrue();
    assertThat(seen.get("null-device").rdev()).isEqualTo(Posix.makedev(1, 3));
  }

  @Test
  void contentSymlinksAndXattrsAreTheLayers() throws IOException {
    assertThat(Files.readString(ref.resolve("plain.txt"))).isEqualTo("plain bottom");
    assertThat(Files.readString(ref.resolve("hidden-by-top"))).isEqualTo("new content from the top");
    assertThat(Files.readString(ref.resolve("link-to-plain"))).isEqualTo("plain bottom");
    assertThat(Files.readSymbolicLink(ref.resolve("link-to-plain")).toString())
        .isEqualTo("plain.txt");
    assertThat(Files.readSymbolicLink(ref.resolve("dangling")).toString())
        .isEqualTo("../nowhere/at all");
    assertThat(Xattrs.lgetxattr(ref.resolve("plain.txt"), "user.origin"))
        .hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.UTF_8))
            .isEqualTo("bottom layer"));
    assertThat(Xattrs.llistxattr(ref.resolve("plain.txt"))).containsExactly("user.origin");
    assertThat(Xattrs.lgetxattr(ref.resolve("plain.txt"), "user.missing")).isEmpty();
  }

  @Test
  void whiteoutsAndOpaqueDirectoriesHideLowerEntriesAndNeverShow() throws IOException {
    assertThat(Files.exists(ref.resolve("gone"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(Files.exists(ref.resolve("gone-dir/child"))).isFalse();
    assertThat(list(ref.resolve("opaque"))).containsExactly("top-child");
    assertThat(list(ref.resolve("dir"))).containsExactly("lower-only", "upper-only");
    assertThat(Xattrs.llistxattr(ref.resolve("opaque"))).isEmpty();
    assertThat(Xattrs.lgetxattr(ref.resolve("opaque"), "trusted.overlay.opaque")).isEmpty();
  }

  /** A layer's setuid bits and device nodes show as they are, but give no rights: nosuid,nodev. */
  @Test
  void setuidProgramsAndDeviceNodesShowButAreInertByDefault() throws IOException {
    MountTable.Mount mount = MountTable.read().stream()
        .filter(m -> m.mountPoint().equals(view.mountpoint)).findFirst().orElseThrow();
    assertThat(mount.fsType()).isEqualTo("fuse.refcache");
    assertThat(mountOptions(view.mountpoint)).contains("nosuid", "nodev");
    assertThat(Posix.lstat(ref.resolve("setuid-tool")).mode() & 07777).isEqualTo(04755);
    assertThat(Posix.lstat(ref.resolve("null-device")).rdev()).isEqualTo(Posix.makedev(1, 3));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Files.readAllBytes(ref.resolve("null-device")))
        .isInstanceOf(java.nio.file.AccessDeniedException.class);
  }

  /** Granted (as {@code refcache daemon --suid --dev} does), they work as on overlayfs. */
  @Test
  void grantedSetuidProgramsAndDeviceNodesWorkAsOnOverlayfs() throws IOException {
    view.mounted().close();
    view.mount(FuseOptions.defaults().withPrivileges(new MountPrivileges(true, true)));

    assertThat(mountOptions(view.mountpoint)).doesNotContain("nosuid", "nodev");
    assertThat(Files.readAllBytes(ref.resolve("null-device"))).isEmpty();
    Files.writeString(ref.resolve("null-device"), "discarded"); // the device, not the tree
  }

  private static List<String> mountOptions(Path mountpoint) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] fields = line.split(" ");
      if (fields[1].equals(mountpoint.toString())) {
        return List.of(fields[3].split(","));
      }
    }
    throw new IllegalStateException("not mounted: " + mountpoint);
  }

  @Test
  void largeFileReadsBackIdenticalAcrossManyRequests() throws IOException {
    Path layer = view.layer("big");
    byte[] data = new byte[3 * 1024 * 1024 + 12345];
    new java.util.Random(7).nextBytes(data);
    Files.write(layer.resolve("big.bin"), data);
    view.addReadOnly("big", layer);

    assertThat(Files.readAllBytes(view.ref("big").resolve("big.bin"))).isEqualTo(data);
    assertThat(Files.readAllBytes(view.ref("big").resolve("big.bin"))).isEqualTo(data);
  }

  @Test
  void everyChangeFailsWithReadOnlyFileSystem() {
    boolean noOpens = view.mounted().opensWithoutRequests();
    assertThat(ReadOnlyChecks.run(ref, "plain.txt", "dir", "link-to-plain"))
        .allSatisfy((op, errno) -> assertThat(errno).as(op)
            .isEqualTo(ReadOnlyChecks.expected(op, noOpens)));
  }

  @Test
  void theMountsOwnDirectoriesAreReadOnly() {
    Map<String, String> results = new TreeMap<>();
    Path root = view.mountpoint;
    results.put("mkdir /x", Errnos.nameOf(() -> Files.createDirectory(root.resolve("x"))));
    results.put("create /refs/x", Errnos.nameOf(() -> Files.createFile(root.resolve("refs/x"))));
    results.put("mkdir /refs/x",
        Errnos.nameOf(() -> Files.createDirectory(root.resolve("refs/x"))));
    results.put("chmod /refs", Errnos.nameOf(() -> Posix.chmod(root.resolve("refs"), 0777)));
    results.put("rmdir /refs", Errnos.nameOf(() -> Files.delete(root.resolve("refs"))));
    results.put("rename /refs/ro", Errnos.nameOf(() -> Files.move(root.resolve("refs/ro"),
        root.resolve("refs/moved"), StandardCopyOption.ATOMIC_MOVE)));
    assertThat(results).allSatisfy((op, errno) -> assertThat(errno).as(op).isEqualTo("EROFS"));
  }

  @Test
  void readOnlyOpenWorksAndWritingIsRefused() throws IOException {
    try (var channel = Files.newByteChannel(ref.resolve("plain.txt"), StandardOpenOption.READ)) {
      assertThat(channel.size()).isEqualTo("plain bottom".length());
    }
    if (view.mounted().opensWithoutRequests()) {
      // The kernel opens without asking: the open succeeds, its first write is refused.
      try (var open = Files.newByteChannel(ref.resolve("plain.txt"), StandardOpenOption.READ,
          StandardOpenOption.WRITE)) {
        assertThat(Errnos.of(() -> open.write(java.nio.ByteBuffer.wrap(new byte[] {'X'}))))
            .isEqualTo(Errno.EROFS);
      }
    } else {
      assertThat(Errnos.of(() -> Files.newByteChannel(ref.resolve("plain.txt"),
          StandardOpenOption.READ, StandardOpenOption.WRITE).close())).isEqualTo(Errno.EROFS);
    }
  }

  /** lstat of every entry below {@code root} (included, as ""), by relative path. */
  static Map<String, Stat> walk(Path root) throws IOException {
    Map<String, Stat> result = new TreeMap<>();
    List<Path> all = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(root)) {
      paths.forEach(all::add);
    }
    for (Path path : all) {
      result.put(root.relativize(path).toString(), Posix.lstat(path));
    }
    return result;
  }

  static List<String> list(Path dir) throws IOException {
    try (Stream<Path> names = Files.list(dir)) {
      return names.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
