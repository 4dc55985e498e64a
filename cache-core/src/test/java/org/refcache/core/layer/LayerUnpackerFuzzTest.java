package org.refcache.core.layer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.refcache.core.fs.FileTrees;
import org.refcache.posix.Posix;
import org.refcache.posix.Stat;

/**
 * Fuzz test of the unpacker: whatever the blob (a tar, plain or compressed),
 * {@link LayerUnpacker#unpack} into a real directory (as root, so owners, devices and xattrs are
 * applied for real) either builds the layer at its target or fails with an {@link IOException} that
 * leaves nothing behind, and in both cases changes nothing outside the target.
 *
 * <p>Each input gets a fresh sandbox with decoy directories named {@code outside} at one, two and
 * three levels above the layer's root ({@code ../outside} from the root of the tree being built is
 * the sibling of the target). The seeds reach for them through symlinks, hard links and {@code ..};
 * anything the unpacker writes, links, chmods, chowns or creates there (or next to the target) shows
 * as a difference in a snapshot of the sandbox taken before and after.
 */
class LayerUnpackerFuzzTest {
  private static final String DECOY = "outside";
  private static Path sandboxes;

  private final LayerUnpacker unpacker = new LayerUnpacker(false);

  @FuzzTest
  void unpackingChangesNothingOutsideItsTarget(byte[] tar) throws IOException {
    Path sandbox = Files.createTempDirectory(sandboxes(), "case-");
    try {
      Path layers = sandbox.resolve("a/layers");
      Files.createDirectories(layers);
      for (Path dir : List.of(sandbox, sandbox.resolve("a"), layers)) {
        decoy(dir.resolve(DECOY));
      }
      Path target = layers.resolve("layer");
      Map<String, String> before = snapshot(sandbox, target);

      // Declared as what it looks like, so gzip and zstd inputs reach the tar too.
      String mediaType = Compression.sniff(tar, Math.min(tar.length, Compression.MAGIC_LENGTH))
          .ociMediaType();
      boolean unpacked = FuzzInvariants.completesOrRefuses(() ->
          unpacker.unpack(new ByteArrayInputStream(tar), mediaType, target, null));

      List<String> expected = unpacked ? List.of("layer", DECOY) : List.of(DECOY);
      List<String> left = Posix.list(layers).stream().sorted().toList();
      if (!left.equals(expected)) {
        throw new AssertionError("next to the target: expected " + expected + ", found " + left);
      }
      Map<String, String> after = snapshot(sandbox, target);
      if (!after.equals(before)) {
        throw new AssertionError("the unpack changed the sandbox outside its target:\n before "
            + before + "\n after  " + after);
      }
    } finally {
      FileTrees.deleteRecursively(sandbox);
    }
  }

  private static synchronized Path sandboxes() throws IOException {
    if (sandboxes == null) {
      sandboxes = Files.createTempDirectory("refcache-fuzz-unpack-");
    }
    return sandboxes;
  }

  @AfterAll
  static void removeSandboxes() throws IOException {
    if (sandboxes != null) {
      FileTrees.deleteRecursively(sandboxes);
    }
  }

  /** A directory with a file and a subdirectory, for an escaping entry to touch. */
  private static void decoy(Path dir) throws IOException {
    Files.createDirectory(dir);
    Files.writeString(dir.resolve("secret"), "secret", StandardCharsets.UTF_8);
    Files.createDirectory(dir.resolve("sub"));
  }

  /**
   * Every path below {@code root} but {@code skip} (and the directory that receives it, whose times
   * change when it does) with its type, permissions, owner, link count, size and times: a change of
   * content, metadata or links, a new name or a removed one all show.
   */
  private static Map<String, String> snapshot(Path root, Path skip) throws IOException {
    Map<String, String> out = new TreeMap<>();
    snapshot(root, "", skip, out);
    return out;
  }

  private static void snapshot(Path p, String rel, Path skip, Map<String, String> out)
      throws IOException {
    Stat s = Posix.lstat(p);
    boolean receivesTarget = p.equals(skip.getParent());
    out.put(rel, receivesTarget ? "parent of the target"
        : Integer.toOctalString(s.mode()) + " " + s.uid() + ":" + s.gid() + " n" + s.nlink()
            + " " + s.size() + " m" + s.mtime() + " c" + s.ctime());
    if (s.isDirectory()) {
      for (String name : Posix.list(p)) {
        Path child = p.resolve(name);
        // The target itself and the unpacker's work directory next to it (which must be gone by
        // now: the listing of their parent is checked separately).
        if (!receivesTarget || !(child.equals(skip) || name.startsWith(LayerUnpacker.TEMP_PREFIX))) {
          snapshot(child, rel + "/" + name, skip, out);
        }
      }
    }
  }
}
