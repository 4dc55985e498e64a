package org.refcache.fuse;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.posix.Mounting;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;
import org.refcache.testing.LayerBuilder;
import org.refcache.testing.TreeSnapshot;

/**
 * The equivalence harness: the same operations, through plain {@code java.nio} and POSIX calls,
 * on a writable ref through the mount and on a plain directory holding the same files, give the
 * same results and leave the same tree. The upper written through the mount is then mounted with
 * kernel overlayfs over the same lower layer and must show that tree too.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(FuseOptions.Transport.class)
class WritableEquivalenceTest extends ViewOnEachTransport {

  WritableEquivalenceTest(FuseOptions.Transport transport) {
    super(transport);
  }

  private static final Instant T1 = Instant.parse("2021-06-07T08:09:10.111222333Z");
  private static final Instant T2 = Instant.parse("2022-01-02T03:04:05.999999999Z");

  Path lower;
  Path plain;
  WritableOverlayTree tree;

  @BeforeEach
  void setUp() throws IOException {
    lower = view.layer("lower");
    plain = Files.createDirectories(tmp.resolve("plain"));
    buildLower(lower);
    buildLower(plain);
    tree = view.addWritable("w", lower);
    view.mount();
  }

  /** The same starting content for the layer and the plain directory. */
  static void buildLower(Path root) throws IOException {
    LayerBuilder layer = LayerBuilder.allAt(root, LayerBuilder.OLD)
        .file("a.txt", "alpha")
        .file("b.txt", "bravo", 0600, 1000, 1000);
    byte[] big = new byte[300 * 1024 + 17];
    new Random(3).nextBytes(big);
    Files.write(root.resolve("big.bin"), big);
    layer.touch("big.bin")
        .file("exec.sh", "#!/bin/sh\necho hi\n", 0755, 0, 0)
        .file("dir/x.txt", "x")
        .file("dir/sub/deep.txt", "deep")
        .dir("empty-dir", 0700)
        .file("full-dir/one", "1")
        .file("full-dir/two", "2")
        .file("to-remove-dir/f1", "f1")
        .file("to-remove-dir/f2", "f2")
        .symlink("sym", "a.txt")
        .file("xattr.txt", "has xattrs")
        .xattr("xattr.txt", "user.k1", "v1")
        .xattr("xattr.txt", "user.k2", "v2")
        .touch("xattr.txt");
    Posix.mkfifo(root.resolve("fifo"), 0644);
    layer.touch("fifo")
        .dir("setgid-dir", 0775);
    Posix.lchown(root.resolve("setgid-dir"), 0, 100);
    Posix.chmod(root.resolve("setgid-dir"), 02775);
    layer.file("rename-src-dir/c1", "c1")
        .file("rename-src-dir/sub/c2", "c2");
    for (String dir : List.of("dir/sub", "dir", "empty-dir", "full-dir", "to-remove-dir",
        "setgid-dir", "rename-src-dir/sub", "rename-src-dir", "")) {
      layer.touch(dir);
    }
  }

  /** One operation, run against a root; it may return a result to compare. */
  @FunctionalInterface
  interface Op {
    Object run(Path root) throws Exception;
  }

  static Map<String, Op> operations() {
    Map<String, Op> ops = new LinkedHashMap<>();
    ops.put("create a new file", r -> Files.writeString(r.resolve("new.txt"), "new", CREATE_NEW));
    ops.put("create O_EXCL over an existing file", r -> Files.newByteChannel(r.resolve("a.txt"),
        CREATE_NEW, WRITE));
    ops.put("overwrite a lower file (O_TRUNC)", r -> Files.writeString(r.resolve("b.txt"),
        "replaced"));
    ops.put("append to a lower file", r -> Files.writeString(r.resolve("a.txt"), "+more", APPEND));
    ops.put("write in the middle of a lower file", r -> {
      try (FileChannel ch = FileChannel.open(r.resolve("big.bin"), WRITE)) {
        return ch.write(ByteBuffer.wrap("XYZ".getBytes(StandardCharsets.UTF_8)), 1000);
      }
    });
    ops.put("read-modify-write (O_RDWR)", r -> {
      try (FileChannel ch = FileChannel.open(r.resolve("exec.sh"), READ, WRITE)) {
        ByteBuffer buf = ByteBuffer.allocate(9);
        ch.read(buf, 0);
        ch.write(ByteBuffer.wrap("#!/bin/bash".getBytes(StandardCharsets.UTF_8)), 0);
        return new String(buf.array(), StandardCharsets.UTF_8);
      }
    });
    ops.put("ftruncate shorter", r -> {
      try (FileChannel ch = FileChannel.open(r.resolve("big.bin"), WRITE)) {
        ch.truncate(5000);
        return ch.size();
      }
    });
    ops.put("ftruncate longer (a hole)", r -> {
      try (RandomAccessFile f = new RandomAccessFile(r.resolve("dir/x.txt").toFile(), "rw")) {
        f.setLength(10000);
        return f.length();
      }
    });
    ops.put("truncate by path", r -> run("truncate", "-s", "3", r.resolve("dir/sub/deep.txt")));
    ops.put("O_TRUNC open of a lower file, nothing written", r -> {
      Files.newOutputStream(r.resolve("full-dir/two")).close();
      return Files.size(r.resolve("full-dir/two"));
    });
    ops.put("unlink a lower file", r -> {
      Files.delete(r.resolve("full-dir/one"));
      return null;
    });
    ops.put("unlink a new file", r -> {
      Files.writeString(r.resolve("short-lived"), "x");
      Files.delete(r.resolve("short-lived"));
      return Files.exists(r.resolve("short-lived"));
    });
    ops.put("rmdir a non-empty lower dir", r -> {
      Files.delete(r.resolve("full-dir"));
      return null;
    });
    ops.put("rmdir an empty lower dir", r -> {
      Files.delete(r.resolve("empty-dir"));
      return null;
    });
    ops.put("rmdir a lower dir emptied first", r -> {
      Files.delete(r.resolve("to-remove-dir/f1"));
      Files.delete(r.resolve("to-remove-dir/f2"));
      Files.delete(r.resolve("to-remove-dir"));
      return null;
    });
    ops.put("mkdir", r -> Files.createDirectory(r.resolve("newdir")).getFileName());
    ops.put("mkdir over an existing dir", r -> Files.createDirectory(r.resolve("dir")));
    ops.put("mkdir where a lower dir was removed", r -> {
      Files.createDirectory(r.resolve("empty-dir"));
      return ReadOnlyViewTest.list(r.resolve("empty-dir"));
    });
    ops.put("rename a file", r -> Files.move(r.resolve("a.txt"), r.resolve("a-renamed.txt"),
        StandardCopyOption.ATOMIC_MOVE).getFileName());
    ops.put("rename over an existing file", r -> Files.move(r.resolve("new.txt"),
        r.resolve("b.txt"), StandardCopyOption.ATOMIC_MOVE).getFileName());
    ops.put("rename a lower directory", r -> Files.move(r.resolve("rename-src-dir"),
        r.resolve("renamed-dir"), StandardCopyOption.ATOMIC_MOVE).getFileName());
    ops.put("rename a dir over a non-empty dir", r -> Files.move(r.resolve("newdir"),
        r.resolve("dir"), StandardCopyOption.ATOMIC_MOVE));
    ops.put("rename a file over a dir", r -> Files.move(r.resolve("exec.sh"), r.resolve("dir"),
        StandardCopyOption.ATOMIC_MOVE));
    ops.put("rename a dir over a file", r -> Files.move(r.resolve("newdir"), r.resolve("exec.sh"),
        StandardCopyOption.ATOMIC_MOVE));
    ops.put("rename a dir into itself", r -> Files.move(r.resolve("dir"),
        r.resolve("dir/sub/inside"), StandardCopyOption.ATOMIC_MOVE));
    ops.put("rename a lower file, then reuse its name", r -> {
      Files.move(r.resolve("dir/sub/deep.txt"), r.resolve("dir/sub/moved.txt"),
          StandardCopyOption.ATOMIC_MOVE);
      Files.writeString(r.resolve("dir/sub/deep.txt"), "reborn");
      return Files.readString(r.resolve("dir/sub/moved.txt"));
    });
    ops.put("symlink", r -> Files.createSymbolicLink(r.resolve("newlink"), Path.of("dir/x.txt"))
        .getFileName());
    ops.put("symlink over an existing name", r -> Files.createSymbolicLink(r.resolve("sym"),
        Path.of("b.txt")));
    ops.put("readlink", r -> Files.readSymbolicLink(r.resolve("sym")));
    ops.put("hard link a lower file", r -> {
      Files.createLink(r.resolve("hard.txt"), r.resolve("xattr.txt"));
      return Posix.lstat(r.resolve("hard.txt")).nlink() + " " + Files.readString(
          r.resolve("hard.txt"));
    });
    ops.put("hard link a directory", r -> Files.createLink(r.resolve("dirlink"), r.resolve("dir")));
    ops.put("hard link over an existing name", r -> Files.createLink(r.resolve("b.txt"),
        r.resolve("exec.sh")));
    ops.put("chmod with setuid", r -> {
      Posix.chmod(r.resolve("exec.sh"), 04750);
      return Integer.toOctalString(Posix.lstat(r.resolve("exec.sh")).permissions());
    });
    ops.put("chmod a lower dir", r -> {
      Posix.chmod(r.resolve("dir/sub"), 0700);
      return null;
    });
    ops.put("chown", r -> {
      Posix.lchown(r.resolve("b.txt"), 2000, 3000);
      return null;
    });
    ops.put("chown keeping the group (-1)", r -> {
      Posix.lchown(r.resolve("dir/x.txt"), 4000, -1);
      return Posix.lstat(r.resolve("dir/x.txt")).gid();
    });
    ops.put("chown a symlink itself", r -> {
      Posix.lchown(r.resolve("sym"), 5, 6);
      return null;
    });
    ops.put("utimens both times", r -> {
      Posix.utimens(r.resolve("xattr.txt"), T1, T2, true);
      return Posix.lstat(r.resolve("xattr.txt")).mtime();
    });
    ops.put("utimens the modification time only", r -> {
      Posix.utimens(r.resolve("fifo"), null, T1, true);
      return Posix.lstat(r.resolve("fifo")).mtime();
    });
    ops.put("utimens a symlink itself", r -> {
      Posix.utimens(r.resolve("newlink"), T2, T2, true);
      return Posix.lstat(r.resolve("newlink")).mtime();
    });
    ops.put("mkfifo", r -> {
      Posix.mkfifo(r.resolve("newfifo"), 0640);
      return null;
    });
    ops.put("mknod a character device", r -> {
      Posix.mknod(r.resolve("newchar"), Posix.S_IFCHR | 0600, Posix.makedev(1, 3));
      return null;
    });
    ops.put("mknod a block device", r -> {
      Posix.mknod(r.resolve("newblock"), Posix.S_IFBLK | 0660, Posix.makedev(7, 0));
      return null;
    });
    ops.put("mknod a regular file", r -> {
      Posix.mknod(r.resolve("newreg"), Posix.S_IFREG | 0640, 0);
      return Files.size(r.resolve("newreg"));
    });
    ops.put("setxattr a new attribute", r -> {
      Xattrs.lsetxattr(r.resolve("a-renamed.txt"), "user.new", bytes("1"), 0);
      return Xattrs.llistxattr(r.resolve("a-renamed.txt"));
    });
    ops.put("setxattr XATTR_REPLACE", r -> {
      Xattrs.lsetxattr(r.resolve("xattr.txt"), "user.k1", bytes("v1b"), Xattrs.XATTR_REPLACE);
      return null;
    });
    ops.put("setxattr XATTR_CREATE over an existing one", r -> {
      Xattrs.lsetxattr(r.resolve("xattr.txt"), "user.k2", bytes("x"), Xattrs.XATTR_CREATE);
      return null;
    });
    ops.put("setxattr XATTR_REPLACE of a missing one", r -> {
      Xattrs.lsetxattr(r.resolve("xattr.txt"), "user.none", bytes("x"), Xattrs.XATTR_REPLACE);
      return null;
    });
    ops.put("removexattr", r -> {
      Xattrs.lremovexattr(r.resolve("xattr.txt"), "user.k2");
      return Xattrs.llistxattr(r.resolve("hard.txt"));
    });
    ops.put("removexattr of a missing one", r -> {
      Xattrs.lremovexattr(r.resolve("xattr.txt"), "user.none");
      return null;
    });
    ops.put("getxattr of a missing one", r -> Xattrs.lgetxattr(r.resolve("b.txt"), "user.none"));
    ops.put("create below a file (ENOTDIR)", r -> Files.createFile(r.resolve("exec.sh/x")));
    ops.put("open a missing file (ENOENT)", r -> Files.readString(r.resolve("missing")));
    ops.put("create in a removed dir (ENOENT)", r -> Files.createFile(
        r.resolve("to-remove-dir/x")));
    ops.put("a 256-byte name (ENAMETOOLONG)", r -> Files.createFile(r.resolve("n".repeat(256))));
    ops.put("a 255-byte name", r -> Files.createFile(r.resolve("m".repeat(255))).getFileName()
        .toString().length());
    ops.put("a 256-byte name of 2-byte characters", r -> Files.createFile(
        r.resolve("é".repeat(128))));
    ops.put("open a directory for writing (EISDIR)", r -> Files.newByteChannel(r.resolve("dir"),
        WRITE));
    ops.put("files and dirs in a setgid dir take its group", r -> {
      Files.writeString(r.resolve("setgid-dir/child"), "c");
      Files.createDirectory(r.resolve("setgid-dir/subdir"));
      return Posix.lstat(r.resolve("setgid-dir/child")).gid() + " " + Integer.toOctalString(
          Posix.lstat(r.resolve("setgid-dir/subdir")).mode());
    });
    ops.put("an unlinked open file keeps working", r -> {
      try (FileChannel ch = FileChannel.open(r.resolve("temp"), CREATE_NEW, READ, WRITE)) {
        ch.write(ByteBuffer.wrap(bytes("before ")));
        Files.delete(r.resolve("temp"));
        ch.write(ByteBuffer.wrap(bytes("after")));
        ByteBuffer back = ByteBuffer.allocate(64);
        ch.read(back, 0);
        return new String(back.array(), 0, back.position(), StandardCharsets.UTF_8)
            + " size " + ch.size() + " exists " + Files.exists(r.resolve("temp"));
      }
    });
    ops.put("nlink after unlinking one of two names", r -> {
      Files.delete(r.resolve("hard.txt"));
      return null;
    });
    ops.put("listing a merged dir", r -> {
      Files.writeString(r.resolve("dir/added"), "added");
      return ReadOnlyViewTest.list(r.resolve("dir"));
    });
    return ops;
  }

  @Test
  void operationsThroughTheMountMatchAPlainDirectory() throws Exception {
    Path ref = view.ref("w");
    Instant start = Instant.now();
    Map<String, String> onMount = new LinkedHashMap<>();
    Map<String, String> onPlain = new LinkedHashMap<>();
    for (Map.Entry<String, Op> op : operations().entrySet()) {
      onMount.put(op.getKey(), outcome(op.getValue(), ref));
      onPlain.put(op.getKey(), outcome(op.getValue(), plain));
    }
    assertThat(onMount).containsExactlyEntriesOf(onPlain);
    // Hard-link siblings' attributes may be stale in the kernel for attr_timeout (see FuseOptions).
    Thread.sleep(FuseOptions.DEFAULT_ATTR_TIMEOUT.toMillis() + 200);
    Map<String, String> expected = TreeSnapshot.describe(TreeSnapshot.ofDirectory(plain, true), start);
    assertSameTree(TreeSnapshot.describe(TreeSnapshot.ofDirectory(ref, true), start), expected);

    view.close();
    assertSameTree(throughKernelOverlay(start), expected);
  }

  private Map<String, String> throughKernelOverlay(Instant start) throws Exception {
    Path merged = Files.createDirectories(tmp.resolve("kernel-overlay"));
    Path work = Files.createDirectories(tmp.resolve("uppers/work"));
    run("mount", "-t", "overlay", "overlay", "-o",
        "lowerdir=" + lower + ",upperdir=" + tree.upper() + ",workdir=" + work, merged);
    try {
      return TreeSnapshot.describe(TreeSnapshot.ofDirectory(merged, true), start);
    } finally {
      Mounting.umount(merged, 0);
    }
  }

  private static void assertSameTree(Map<String, String> actual, Map<String, String> expected) {
    assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
    List<String> differences = new ArrayList<>();
    for (Map.Entry<String, String> entry : expected.entrySet()) {
      String other = actual.get(entry.getKey());
      if (!entry.getValue().equals(other)) {
        differences.add(entry.getKey() + ":\n  expected " + entry.getValue() + "\n  actual   "
            + other);
      }
    }
    assertThat(differences).isEmpty();
  }

  private static String outcome(Op op, Path root) {
    Object[] result = new Object[1];
    int errno = Errnos.of(() -> {
      Object value = op.run(root);
      if (value instanceof AutoCloseable closeable) {
        closeable.close();
        value = "opened";
      }
      result[0] = value;
    });
    return errno != 0 ? Errnos.name(errno)
        : "ok " + String.valueOf(result[0]).replace(root.toString(), "<root>");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String run(Object... command) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>();
    for (Object part : command) {
      args.add(part.toString());
    }
    Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", args) + " failed: " + output);
    }
    return output;
  }
}
