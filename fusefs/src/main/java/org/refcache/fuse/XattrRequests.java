package org.refcache.fuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.refcache.fuse.kernel.Reply;
import org.refcache.fuse.kernel.Request;
import org.refcache.posix.Errno;

/** The extended-attribute requests of the kernel protocol, decoded and answered over the view. */
final class XattrRequests {
  private XattrRequests() {}

  /** fuse_setxattr_in: size, flags; the name and the value follow. */
  static void set(ViewOperations view, Request r, Reply reply, MountPath at) throws IOException {
    int size = r.i32(0);
    int flags = r.i32(4);
    int nameLength = r.nameLength(8);
    view.setxattr(at, r.name(8), r.bytes(8 + nameLength + 1, size), flags);
    reply.ok();
  }

  /**
   * fuse_getxattr_in: size, padding; a getxattr's name follows. Size 0 asks for the length, a too
   * small buffer is ERANGE, a missing attribute ENODATA.
   */
  static void get(ViewOperations view, Request r, Reply reply, boolean list, MountPath at) throws IOException {
    int size = Math.min(r.i32(0), reply.capacity());
    byte[] value;
    if (list) {
      value = XattrNames.join(view.listxattr(at));
    } else {
      Optional<byte[]> found = view.getxattr(at, r.name(8));
      if (found.isEmpty()) {
        reply.error(Errno.ENODATA);
        return;
      }
      value = found.get();
    }
    ByteBuffer out = reply.begin();
    if (size == 0) {
      out.putInt(value.length);
      out.putInt(0);
    } else if (value.length > size) {
      reply.error(Errno.ERANGE);
      return;
    } else {
      out.put(value);
    }
    reply.send();
  }
}
