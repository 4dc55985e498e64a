package org.refcache.fuse;

import org.refcache.posix.ErrnoMapper;

/** Runs a file operation and tells which errno it failed with (0 for success). */
final class Errnos {

  /** A file operation. */
  @FunctionalInterface
  interface Action {
    void run() throws Exception;
  }

  private Errnos() {
  }

  static int of(Action action) {
    try {
      action.run();
      return 0;
    } catch (Exception e) {
      return ErrnoMapper.toErrno(e);
    }
  }

  /** "0" or the errno's name, for readable assertion messages. */
  static String name(int errno) {
    return errno == 0 ? "0" : ErrnoMapper.name(errno);
  }

  static String nameOf(Action action) {
    return name(of(action));
  }
}
