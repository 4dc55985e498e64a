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
class XattrsTest {

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
    Xattrs.lsetxattr(file, "user.origin", "layer-1".getBytes(UTF_8), 0);
    assertThat(Xattrs.lgetxattr(file, "user.origin")).hasValueSatisfying(
        value -> assertThat(new String(value, UTF_8)).isEqualTo("layer-1"));
    assertThat(Xattrs.llistxattr(file)).contains("user.origin");
    Xattrs.lremovexattr(file, "user.origin");
    assertThat(Xattrs.lgetxattr(file, "user.origin")).isEmpty();
    assertThat(Xattrs.llistxattr(file)).doesNotContain("user.origin");
  }

  @Test
  void trustedXattrRoundTrips() throws Exception {
    Xattrs.lsetxattr(file, "trusted.overlay.opaque", "y".getBytes(UTF_8), 0);
    assertThat(Xattrs.lgetxattr(file, "trusted.overlay.opaque")).hasValue("y".getBytes(UTF_8));
    assertThat(Xattrs.llistxattr(file)).contains("trusted.overlay.opaque");
    Xattrs.lremovexattr(file, "trusted.overlay.opaque");
    assertThat(Xattrs.lgetxattr(file, "trusted.overlay.opaque")).isEmpty();
  }

  @Test
  void securityCapabilityRoundTrips() throws Exception {
    Xattrs.lsetxattr(file, "security.capability", CAP_NET_BIND_SERVICE, 0);
    assertThat(Xattrs.lgetxattr(file, "security.capability")).hasValue(CAP_NET_BIND_SERVICE);
    assertThat(Xattrs.llistxattr(file)).contains("security.capability");
    Xattrs.lremovexattr(file, "security.capability");
    assertThat(Xattrs.lgetxattr(file, "security.capability")).isEmpty();
  }

  @Test
  void llistxattrListsEveryNamespace() throws Exception {
    Xattrs.lsetxattr(file, "user.a", new byte[] {1}, 0);
    Xattrs.lsetxattr(file, "trusted.b", new byte[] {2}, 0);
    Xattrs.lsetxattr(file, "security.capability", CAP_NET_BIND_SERVICE, 0);
    assertThat(Xattrs.llistxattr(file))
        .contains("user.a", "trusted.b", "security.capability")
        .doesNotContain("");
  }

  @Test
  void lgetxattrOfMissingAttributeIsEmpty() throws Exception {
    assertThat(Xattrs.lgetxattr(file, "user.missing")).isEmpty();
  }

  @Test
  void lremovexattrOfMissingAttributeFailsWithEnodata() {
    assertThatThrownBy(() -> Xattrs.lremovexattr(file, "user.missing"))
        .isInstanceOfSatisfying(NativeException.class, e -> {
          assertThat(e.errno()).isEqualTo(Errno.ENODATA);
          assertThat(e.errnoName()).isEqualTo("ENODATA");
          assertThat(e.getMessage()).contains("lremovexattr", "user.missing", file.toString());
        });
  }

  @Test
  void lgetxattrOfMissingFileFailsWithNoSuchFile() {
    assertThatThrownBy(() -> Xattrs.lgetxattr(dir.resolve("missing"), "user.a"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void emptyValueIsPresentNotMissing() throws Exception {
    Xattrs.lsetxattr(file, "user.empty", new byte[0], 0);
    assertThat(Xattrs.lgetxattr(file, "user.empty")).hasValue(new byte[0]);
  }

  @Test
  void valueLargerThanFirstBufferIsReadWhole() throws Exception {
    byte[] value = new byte[3000];
    Arrays.fill(value, (byte) 'v');
    value[2999] = 'z';
    Xattrs.lsetxattr(file, "user.big", value, 0);
    assertThat(Xattrs.lgetxattr(file, "user.big")).hasValue(value);
  }

  @Test
  void listLongerThanFirstBufferIsReadWhole() throws Exception {
    String prefix = "user." + "n".repeat(40) + ".";
    for (int i = 0; i < 20; i++) {
      Xattrs.lsetxattr(file, prefix + i, new byte[] {(byte) i}, 0);
    }
    assertThat(Xattrs.llistxattr(file)).hasSizeGreaterThanOrEqualTo(20).contains(prefix + 19);
  }

  @Test
  void createFlagRefusesExistingAttribute() throws Exception {
    Xattrs.lsetxattr(file, "user.a", new byte[] {1}, 0);
    assertThatThrownBy(() -> Xattrs.lsetxattr(file, "user.a", new byte[] {2}, Xattrs.XATTR_CREATE))
        .isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void replaceFlagRefusesMissingAttribute() {
    assertThatThrownBy(() -> Xattrs.lsetxattr(file, "user.a", new byte[] {2}, Xattrs.XATTR_REPLACE))
        .isInstanceOfSatisfying(NativeException.class,
            e -> assertThat(e.errno()).isEqualTo(Errno.ENODATA));
  }

  @Test
  void xattrOnSymlinkDoesNotReachTarget() throws Exception {
    Path link = Files.createSymbolicLink(dir.resolve("link"), file);
    Xattrs.lsetxattr(link, "trusted.link", new byte[] {7}, 0);
    assertThat(Xattrs.lgetxattr(link, "trusted.link")).hasValue(new byte[] {7});
    assertThat(Xattrs.lgetxattr(file, "trusted.link")).isEmpty();
    assertThat(Xattrs.llistxattr(file)).doesNotContain("trusted.link");
  }
}
