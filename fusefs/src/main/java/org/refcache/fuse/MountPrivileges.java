package org.refcache.fuse;

import org.refcache.posix.Mounting;

/**
 * Whether a mount of refs (the view, or a bind mount of one ref) honours setuid and setgid bits and
 * device nodes. A ref's files come from layer tarballs anyone may have written: with {@code setuid},
 * a setuid-root program in a ref runs as root for whoever can reach it; with {@code devices}, a
 * device node in a ref opens the device for whoever the node's mode lets in, whatever the mode of
 * the host's own node. So both are off ({@link #NONE}: {@code nosuid,nodev}) unless an operator
 * asks for them, e.g. for a container's root file system.
 *
 * @param setuid  setuid and setgid bits (and file capabilities) take effect
 * @param devices device nodes can be opened
 */
public record MountPrivileges(boolean setuid, boolean devices) {

  /** {@code nosuid,nodev}: the default of every mount. */
  public static final MountPrivileges NONE = new MountPrivileges(false, false);

  /** The {@code mount(2)} flags that take away what is not granted. */
  public long mountFlags() {
    return (setuid ? 0 : Mounting.MS_NOSUID) | (devices ? 0 : Mounting.MS_NODEV);
  }

  /** As mount options: {@code nosuid,nodev}, {@code suid,dev} or a mix. */
  public String options() {
    return (setuid ? "suid" : "nosuid") + "," + (devices ? "dev" : "nodev");
  }

  @Override
  public String toString() {
    return options();
  }
}
