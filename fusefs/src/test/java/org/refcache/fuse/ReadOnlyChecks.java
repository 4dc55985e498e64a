package org.refcache.fuse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.refcache.posix.Posix;
import org.refcache.posix.Xattrs;

/** Every kind of change, tried on a tree that must refuse them all. */
final class ReadOnlyChecks {

  private ReadOnlyChecks() {
  }

  /** The opens {@link #run} tries that neither create nor truncate. */
  private static final java.util.Set<String> WRITING_OPENS =
      java.util.Set.of("open for writing", "open O_APPEND", "open O_RDWR");

  /**
   * What operation {@code op} of {@link #run} must answer on a read-only tree: EROFS, but for a
   * writing open with opens without requests (the kernel opens without asking; the first write
   * is refused instead, {@code "write"}).
   */
  static String expected(String op, boolean opensWithoutRequests) {
    return opensWithoutRequests && WRITING_OPENS.contains(op) ? "0" : "EROFS";
  }

  /**
   * Tries each change on existing entries of {@code root}.
   *
   * @return operation name to the errno name it failed with ("0" if it succeeded)
   */
  static Map<String, String> run(Path root, String file, String dir, String symlink) {
    Path f = root.resolve(file);
    Path d = root.resolve(dir);
    Path l = root.resolve(symlink);
    Map<String, String> results = new TreeMap<>();
    results.put("create", Errnos.nameOf(() -> Files.newByteChannel(root.resolve("new-file"),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close()));
    results.put("open for writing", Errnos.nameOf(() ->
        Files.newByteChannel(f, StandardOpenOption.WRITE).close()));
    results.put("open O_TRUNC", Errnos.nameOf(() -> Files.newOutputStream(f).close()));
    results.put("open O_APPEND", Errnos.nameOf(() ->
        Files.newByteChannel(f, StandardOpenOption.APPEND).close()));
    results.put("open O_RDWR", Errnos.nameOf(() ->
        Files.newByteChannel(f, StandardOpenOption.READ, StandardOpenOption.WRITE).close()));
    results.put("write", Errnos.nameOf(() -> {
      try (var open = Files.newByteChannel(f, StandardOpenOption.WRITE)) {
        open.write(java.nio.ByteBuffer.wrap(new byte[] {'X'}));
      }
    }));
    results.put("mkdir", Errnos.nameOf(() -> Files.createDirectory(root.resolve("new-dir"))));
    results.put("rmdir", Errnos.nameOf(() -> Files.delete(d)));
    results.put("unlink", Errnos.nameOf(() -> Files.delete(f)));
    results.put("rename", Errnos.nameOf(() ->
        Files.move(f, root.resolve("moved"), StandardCopyOption.ATOMIC_MOVE)));
    results.put("link", Errnos.nameOf(() -> Files.createLink(root.resolve("hard"), f)));
    results.put("symlink", Errnos.nameOf(() ->
        Files.createSymbolicLink(root.resolve("soft"), Path.of(file))));
    results.put("chmod", Errnos.nameOf(() -> Posix.chmod(f, 0600)));
    results.put("chown", Errnos.nameOf(() -> Posix.lchown(f, 1, 1)));
    results.put("chown symlink", Errnos.nameOf(() -> Posix.lchown(l, 1, 1)));
    results.put("utimens", Errnos.nameOf(() -> Posix.utimens(f, Instant.EPOCH, null, true)));
    results.put("setxattr", Errnos.nameOf(() ->
        Xattrs.lsetxattr(f, "user.new", "v".getBytes(StandardCharsets.UTF_8), 0)));
    results.put("removexattr", Errnos.nameOf(() -> Xattrs.lremovexattr(f, "user.origin")));
    results.put("mkfifo", Errnos.nameOf(() -> Posix.mkfifo(root.resolve("fifo-new"), 0600)));
    results.put("mknod char", Errnos.nameOf(() ->
        Posix.mknod(root.resolve("dev-new"), Posix.S_IFCHR | 0600, Posix.makedev(1, 3))));
    return results;
  }
}
