package org.refcache.posix;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extended attributes in the user, trusted and security namespaces (tests run as root). */
class PosixXattrTest {

  /**
   * A valid version-2 {@code vfs_cap_data} granting CAP_NET_BIND_SERVICE (bit 10) permitted: the
   * kernel refuses malformed security.capability values, so it must be real.
   */
  private static final byte[] CAP_NET_BIND_SERVICE = {
      0, 0, 0, 2,    // magic_etc: VFS_CAP_REVISION_2, little-endian
      0, 4, 0, 0,    // permitted, low word: 1 << 10
      0, 0, 0, 0,    // inheritable, low word
      0, 0, 0, 0,    // permitted, high word
      0, 0, 0, 0};   // inheritable, high word

  @TempDir
  Path dir;

  Path file;

  @BeforeEach
  void createFile() throws Exception {
    file = Files.writeString(dir.resolve("f"), "content");
  }

  @Test
  void userXattrRoundTrips() throws Exception {
    Posix.lsetxattr(file, "user.origin", "layer-1".getBytes(UTF_8), 0);
    assertThat(Posix.lgetxattr(file, "user.origin")).hasValueSatisfying(
        value -> assertThat(new String(value, UTF_8)).isEqualTo("layer-1"));
    assertThat(Posix.llistxattr(file)).contains("user.origin");
    Posix.lremovexattr(file, "user.origin");
    assertThat(Posix.lgetxattr(file, "user.origin")).isEmpty();
    assertThat(Posix.llistxattr(file)).doesNotContain("user.origin");
  }

  @Test
  void trustedXattrRoundTrips() throws Exception {
    Posix.lsetxattr(file, "trusted.overlay.opaque", "y".getBytes(UTF_8), 0);
    assertThat(Posix.lgetxattr(file, "trusted.overlay.opaque")).hasValue("y".getBytes(UTF_8));
    assertThat(Posix.llistxattr(file)).contains("trusted.overlay.opaque");
    Posix.lremovexattr(file, "trusted.overlay.opaque");
    assertThat(Posix.lgetxattr(file, "trusted.overlay.opaque")).isEmpty();
  }

  @Test
  void securityCapabilityRoundTrips() throws Exception {
    Posix.lsetxattr(file, "security.capability", CAP_NET_BIND_SERVICE, 0);
    assertThat(Posix.lgetxattr(file, "security.capability")).hasValue(CAP_NET_BIND_SERVICE);
    assertThat(Posix.llistxattr(file)).contains("security.capability");
    Posix.lremovexattr(file, "security.capability");
    assertThat(Posix.lgetxattr(file, "security.capability")).isEmpty();
  }

  @Test
  void llistxattrListsEveryNamespace() throws Exception {
    Posix.lsetxattr(file, "user.a", new byte[] {1}, 0);
    Posix.lsetxattr(file, "trusted.b", new byte[] {2}, 0);
    Posix.lsetxattr(file, "security.capability", CAP_NET_BIND_SERVICE, 0);
    assertThat(Posix.llistxattr(file))
        .contains("user.a", "trusted.b", "security.capability")
        .doesNotContain("");
  }

  @Test
  void lgetxattrOfMissingAttributeIsEmpty() throws Exception {
    assertThat(Posix.lgetxattr(file, "user.missing")).isEmpty();
  }

  @Test
  void lremovexattrOfMissingAttributeFailsWithEnodata() {
    assertThatThrownBy(() -> Posix.lremovexattr(file, "user.missing"))
        .isInstanceOfSatisfying(NativeException.class, e -> {
          assertThat(e.errno()).isEqualTo(Errno.ENODATA);
          assertThat(e.errnoName()).isEqualTo("ENODATA");
          assertThat(e.getMessage()).contains("lremovexattr", "user.missing", file.toString());
        });
  }

  @Test
  void lgetxattrOfMissingFileFailsWithNoSuchFile() {
    assertThatThrownBy(() -> Posix.lgetxattr(dir.resolve("missing"), "user.a"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void emptyValueIsPresentNotMissing() throws Exception {
    Posix.lsetxattr(file, "user.empty", new byte[0], 0);
    assertThat(Posix.lgetxattr(file, "user.empty")).hasValue(new byte[0]);
  }

  @Test
  void valueLargerThanFirstBufferIsReadWhole() throws Exception {
    byte[] value = new byte[3000];
    Arrays.fill(value, (byte) 'v');
    value[2999] = 'z';
    Posix.lsetxattr(file, "user.big", value, 0);
    assertThat(Posix.lgetxattr(file, "user.big")).hasValue(value);
  }

  @Test
  void listLongerThanFirstBufferIsReadWhole() throws Exception {
    String prefix = "user." + "n".repeat(40) + ".";
    for (int i = 0; i < 20; i++) {
      Posix.lsetxattr(file, prefix + i, new byte[] {(byte) i}, 0);
    }
    assertThat(Posix.llistxattr(file)).hasSizeGreaterThanOrEqualTo(20).contains(prefix + 19);
  }

  @Test
  void createFlagRefusesExistingAttribute() throws Exception {
    Posix.lsetxattr(file, "user.a", new byte[] {1}, 0);
    assertThatThrownBy(() -> Posix.lsetxattr(file, "user.a", new byte[] {2}, Posix.XATTR_CREATE))
        .isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void replaceFlagRefusesMissingAttribute() {
    assertThatThrownBy(() -> Posix.lsetxattr(file, "user.a", new byte[] {2}, Posix.XATTR_REPLACE))
        .isInstanceOfSatisfying(NativeException.class,
            e -> assertThat(e.errno()).isEqualTo(Errno.ENODATA));
  }

  @Test
  void xattrOnSymlinkDoesNotReachTarget() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    Posix.lsetxattr(link, "trusted.link", new byte[] {7}, 0);
    assertThat(Posix.lgetxattr(link, "trusted.link")).hasValue(new byte[] {7});
    assertThat(Posix.lgetxattr(file, "trusted.link")).isEmpty();
    assertThat(Posix.llistxattr(file)).doesNotContain("trusted.link");
  }
}
