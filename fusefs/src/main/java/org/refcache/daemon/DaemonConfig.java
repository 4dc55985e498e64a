package org.refcache.daemon;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.refcache.core.layer.LayerLimits;
import org.refcache.fuse.FuseOptions;
import org.refcache.fuse.MountPrivileges;
import org.refcache.protocol.ControlSocket;

/**
 * Where the service keeps its state, mounts its view and listens (DESIGN "The service and the refcache
 * command"): an option wins over its environment variable, which wins over the default.
 *
 * @param root the state root ({@code --root}, {@code REFCACHE_ROOT}, default {@code /var/lib/refcache})
 * @param mountpoint the FUSE mountpoint ({@code --mountpoint}, {@code REFCACHE_MOUNTPOINT}, default
 *     {@code <root>/mnt})
 * @param socket the control socket ({@code --socket}, {@code REFCACHE_SOCKET}, default
 *     {@code /run/refcache/refcache.sock})
 * @param transport how the view is served ({@code REFCACHE_FUSE_TRANSPORT})
 * @param view whether setuid bits and device nodes in refs work through the view ({@code --suid},
 *     {@code REFCACHE_VIEW_SUID=1}, {@code --dev}, {@code REFCACHE_VIEW_DEV=1}; default neither:
 *     {@code nosuid,nodev})
 * @param layerLimits what one layer may cost to import, unpack or list ({@link LayerLimitSettings})
 * @param gcPolicy the automatic garbage collection ({@code --config}, {@code REFCACHE_CONFIG}, default
 *     {@code /etc/refcache/refcache.toml} when it exists, else none)
 * @param authFile registry credentials, a Docker-style {@code config.json} ({@code REFCACHE_AUTH_FILE}),
 *     or null for the service's {@code ~/.docker/config.json} when it exists
 */
public record DaemonConfig(Path root, Path mountpoint, Path socket,
                           FuseOptions.Transport transport, MountPrivileges view, LayerLimits layerLimits,
                           GcPolicy gcPolicy, Path authFile) {
  public static final String ROOT_ENV = "REFCACHE_ROOT";
  /** {@code kernel} (the default) or {@code libfuse}: see {@link FuseOptions.Transport}. */
  public static final String TRANSPORT_ENV = "REFCACHE_FUSE_TRANSPORT";
  public static final String MOUNTPOINT_ENV = "REFCACHE_MOUNTPOINT";
  public static final String SOCKET_ENV = ControlSocket.ENV;
  /** {@code 1}: setuid programs in refs run with their owner's rights through the view. */
  public static final String VIEW_SUID_ENV = "REFCACHE_VIEW_SUID";
  /** {@code 1}: device nodes in refs can be opened through the view. */
  public static final String VIEW_DEV_ENV = "REFCACHE_VIEW_DEV";
  /** The configuration file (the GC policy); default {@link GcPolicy#DEFAULT_FILE}. */
  public static final String CONFIG_ENV = "REFCACHE_CONFIG";
  public static final Path DEFAULT_ROOT = Path.of("/var/lib/refcache");
  public static final Path DEFAULT_SOCKET = ControlSocket.DEFAULT;

  public DaemonConfig {
    root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    mountpoint = Objects.requireNonNull(mountpoint, "mountpoint").toAbsolutePath().normalize();
    socket = Objects.requireNonNull(socket, "socket").toAbsolutePath().normalize();
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(layerLimits, "layerLimits");
    Objects.requireNonNull(gcPolicy, "gcPolicy");
  }

  /** With the service's own registry credentials ({@code ~/.docker/config.json}). */
  public DaemonConfig(Path root, Path mountpoint, Path socket, FuseOptions.Transport transport,
      MountPrivileges view, LayerLimits layerLimits, GcPolicy gcPolicy) {
    this(root, mountpoint, socket, transport, view, layerLimits, gcPolicy, null);
  }

  /** Without automatic garbage collection. */
  public DaemonConfig(Path root, Path mountpoint, Path socket, FuseOptions.Transport transport,
      MountPrivileges view, LayerLimits layerLimits) {
    this(root, mountpoint, socket, transport, view, layerLimits, GcPolicy.OFF);
  }

  /** With the default transport and a {@code nosuid,nodev} view. */
  public DaemonConfig(Path root, Path mountpoint, Path socket) {
    this(root, mountpoint, socket, FuseOptions.Transport.KERNEL);
  }

  /** With a {@code nosuid,nodev} view and the default layer limits. */
  public DaemonConfig(Path root, Path mountpoint, Path socket, FuseOptions.Transport transport) {
    this(root, mountpoint, socket, transport, MountPrivileges.NONE, LayerLimits.DEFAULTS);
  }

  /** With the default layer limits. */
  public DaemonConfig(Path root, Path mountpoint, Path socket, FuseOptions.Transport transport,
      MountPrivileges view) {
    this(root, mountpoint, socket, transport, view, LayerLimits.DEFAULTS);
  }

  /** This configuration with {@code limits} for layers. */
  public DaemonConfig withLayerLimits(LayerLimits limits) {
    return new DaemonConfig(root, mountpoint, socket, transport, view, limits, gcPolicy, authFile);
  }

  /** This configuration with {@code policy} for the automatic garbage collection. */
  public DaemonConfig withGcPolicy(GcPolicy policy) {
    return new DaemonConfig(root, mountpoint, socket, transport, view, layerLimits, policy, authFile);
  }

  /** This configuration with registry credentials from {@code file} (null: the service's own). */
  public DaemonConfig withAuthFile(Path file) {
    return new DaemonConfig(root, mountpoint, socket, transport, view, layerLimits, gcPolicy, file);
  }

  /** The configuration file to read: the option, else {@code REFCACHE_CONFIG}, else null (the default's if any). */
  public static Path configFileOf(String option, Map<String, String> env) {
    String f = firstSet(option, env.get(CONFIG_ENV));
    return f == null ? null : Path.of(f);
  }

  /**
   * Resolves the three settings from options (null when not given) and the environment.
   */
  public static DaemonConfig resolve(String root, String mountpoint, String socket, Map<String, String> env) {
    return resolve(root, mountpoint, socket, false, false, env);
  }

  /**
   * Resolves the settings from options (null or false when not given) and the environment.
   *
   * @throws IllegalArgumentException if an environment variable has a value it cannot take
   */
  public static DaemonConfig resolve(String root, String mountpoint, String socket, boolean suid, boolean dev,
      Map<String, String> env) {
    Path r = Path.of(firstSet(root, env.get(ROOT_ENV), DEFAULT_ROOT.toString()));
    String m = firstSet(mountpoint, env.get(MOUNTPOINT_ENV), null);
    MountPrivileges view = new MountPrivileges(suid || switchOf(VIEW_SUID_ENV, env),
        dev || switchOf(VIEW_DEV_ENV, env));
    String auth = env.get(org.refcache.core.remote.CredentialStore.AUTH_FILE_VARIABLE);
    return new DaemonConfig(r, m == null ? r.resolve("mnt") : Path.of(m), ControlSocket.resolve(socket, env),
        transportOf(env.get(TRANSPORT_ENV)), view)
        .withAuthFile(auth == null || auth.isEmpty() ? null : Path.of(auth));
  }

  /** An on/off variable: unset, empty or {@code 0} is off, {@code 1} is on; nothing else is taken. */
  private static boolean switchOf(String name, Map<String, String> env) {
    String value = env.get(name);
    if (value == null || value.isEmpty() || value.equals("0")) {
      return false;
    }
    if (value.equals("1")) {
      return true;
    }
    throw new IllegalArgumentException(name + " must be 1 or 0, not " + value);
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

  private static String firstSet(String... values) {
    for (String v : values) {
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return null;
  }
}
