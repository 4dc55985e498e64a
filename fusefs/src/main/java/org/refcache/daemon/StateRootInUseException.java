package org.refcache.daemon;

import java.io.IOException;
import java.nio.file.Path;

/** Another service holds the state root's lock ({@link StateRootLock}); this one must not start. */
public final class StateRootInUseException extends IOException {
  private static final long serialVersionUID = 1L;
  private final long holderPid;

  StateRootInUseException(Path root, Path lockFile, long holderPid) {
    super("the state root " + root + " is in use by another refcache daemon ("
        + (holderPid > 0 ? "PID " + holderPid : "PID not recorded yet") + ", lock " + lockFile
        + "); stop it first, or give this one another --root");
    this.holderPid = holderPid;
  }

  /** The PID of the service holding the root, or -1 when it is not known. */
  public long holderPid() {
    return holderPid;
  }
}
