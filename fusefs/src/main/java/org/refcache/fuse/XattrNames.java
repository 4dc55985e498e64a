package org.refcache.fuse;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.refcache.posix.FileNames;

/** The list of extended attribute names as {@code listxattr(2)} answers it in both transports. */
public final class XattrNames {

  private XattrNames() {
  }

  /** The names, each followed by a NUL. */
  public static byte[] join(List<String> names) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (String name : names) {
      byte[] bytes = FileNames.bytes(name);
      all.write(bytes, 0, bytes.length);
      all.write(0);
    }
    return all.toByteArray();
  }
}
