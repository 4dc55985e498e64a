package org.refcache.fuse.libfuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.NotImplemented;

/**
 * jnr-fuse registers with libfuse exactly the operations a subclass overrides: every method of
 * {@code FuseStubFS} is marked {@code @NotImplemented} (and would answer a fake 0), and libfuse
 * answers ENOSYS for what is not registered. This pins down which operations the view serves.
 */
class RegisteredOperationsTest {

  @Test
  void theViewRegistersExactlyTheOperationsItImplements() {
    Set<String> overridden = new TreeSet<>();
    for (Method method : LibfuseFileSystem.class.getDeclaredMethods()) {
      if (Modifier.isPublic(method.getModifiers()) && isStubOperation(method)) {
        overridden.add(method.getName());
      }
    }

    assertThat(overridden).containsExactlyInAnyOrder("access", "chmod", "chown", "create",
        "fallocate", "fgetattr", "fsync", "fsyncdir", "ftruncate", "getattr", "getxattr", "link", "listxattr",
        "mkdir", "mknod", "open", "opendir", "read", "readdir", "readlink", "release",
        "removexattr", "rename", "rmdir", "setxattr", "statfs", "symlink", "truncate", "unlink",
        "utimens", "write");
    assertThat(Arrays.stream(LibfuseFileSystem.class.getMethods())
        .filter(m -> overridden.contains(m.getName()))
        .noneMatch(m -> m.isAnnotationPresent(NotImplemented.class))).isTrue();
  }

  @Test
  void everythingElseStaysUnregistered() {
    for (String name : new String[] {"flush", "releasedir", "lock", "flock", "ioctl",
        "poll", "bmap", "read_buf", "write_buf"}) {
      Method method = Arrays.stream(LibfuseFileSystem.class.getMethods())
          .filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
      assertThat(method.isAnnotationPresent(NotImplemented.class)).as(name).isTrue();
    }
  }

  private static boolean isStubOperation(Method method) {
    try {
      FuseStubFS.class.getMethod(method.getName(), method.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
