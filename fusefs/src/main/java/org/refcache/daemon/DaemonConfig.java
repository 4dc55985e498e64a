package org.refcache.daemon;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.refcache.core.layer.LayerLimits;
import org.refcache.fuse.FuseOptions;

/**
 * Where the service keeps its state, mounts its view and listens (DESIGN "The service and the refcache
 * command"): an option wins over its environment variable, which wins over the default.
 *
 * @param root the state root ({@code --root}, {@code REFCACHE_ROOT}, default {@code /var/lib/refcache})
 * @param mountpoint the FUSE mountpoint ({@code --mountpoint}, {@code REFCACHE_MOUNTPOINT}, default
 *     {@code <root>/mnt})
 * @param socket the control socket ({@code --socket}, {@code REFCACHE_SOCKET}, default
 *     {@code /run/refcache/refcache.sock})
 * @param layerLimits what one layer may cost to import, unpack or list ({@link LayerLimitSettings})
 */
public record DaemonConfig(Path root, Path mountpoint, Path socket,
                           FuseOptions.Transport transport, LayerLimits layerLimits) {
  public static final String ROOT_ENV = "REFCACHE_ROOT";
  /** {@code kernel} (the default) or {@code libfuse}: see {@link FuseOptions.Transport}. */
  public static final String TRANSPORT_ENV = "REFCACHE_FUSE_TRANSPORT";
  public static final String MOUNTPOINT_ENV = "REFCACHE_MOUNTPOINT";
  public static final String SOCKET_ENV = "REFCACHE_SOCKET";
  public static final Path DEFAULT_ROOT = Path.of("/var/lib/refcache");
  public static final Path DEFAULT_SOCKET = Path.of("/run/refcache/refcache.sock");

  public DaemonConfig {
    root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    mountpoint = Objects.requireNonNull(mountpoint, "mountpoint").toAbsolutePath().normalize();
    socket = Objects.requireNonNull(socket, "socket").toAbsolutePath().normalize();
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(layerLimits, "layerLimits");
  }

  /** With the default transport. */
  public DaemonConfig(Path root, Path mountpoint, Path socket) {
    this(root, mountpoint, socket, FuseOptions.Transport.KERNEL);
  }

  /** With the default layer limits. */
  public DaemonConfig(Path root, Path mountpoint, Path socket, FuseOptions.Transport transport) {
    this(root, mountpoint, socket, transport, LayerLimits.DEFAULTS);
  }

  /** This configuration with {@code limits} for layers. */
  public DaemonConfig withLayerLimits(LayerLimits limits) {
    return new DaemonConfig(root, mountpoint, socket, transport, limits);
  }

  /**
   * Resolves the three settings from options (null when not given) and the environment.
   */
  public static DaemonConfig resolve(String root, String mountpoint, String socket, Map<String, String> env) {
    Path r = Path.of(firstSet(root, env.get(ROOT_ENV), DEFAULT_ROOT.toString()));
    String m = firstSet(mountpoint, env.get(MOUNTPOINT_ENV), null);
    return new DaemonConfig(r, m == null ? r.resolve("mnt") : Path.of(m), socketOf(socket, env),
        transportOf(env.get(TRANSPORT_ENV)));
  }

  private static FuseOptions.Transport transportOf(String value) {
    if (value == null || value.isEmpty()) {
      return FuseOptions.Transport.KERNEL;
    }
    try {
      return FuseOptions.Transport.valueOf(value.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(TRANSPORT_ENV + " must be kernel or libfuse, not " + value);
    }
  }

  /** The control socket a client uses: the option, else {@code REFCACHE_SOCKET}, else the default. */
  public static Path socketOf(String option, Map<String, String> env) {
    return Path.of(firstSet(option, env.get(SOCKET_ENV), DEFAULT_SOCKET.toString())).toAbsolutePath();
  }

  private static String firstSet(String... values) {
    for (String v : values) {
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return null;
  }
}
