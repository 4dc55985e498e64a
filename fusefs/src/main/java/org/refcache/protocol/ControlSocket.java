package org.refcache.protocol;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the control socket is, by the one rule the service and the {@code refcache} command share
 * (DESIGN "The service and the refcache command"): the {@code --socket} option, else
 * {@code REFCACHE_SOCKET}, else {@code /run/refcache/refcache.sock}.
 */
public final class ControlSocket {
  /** The environment variable naming the socket. */
  public static final String ENV = "REFCACHE_SOCKET";
  /** The socket when neither the option nor the environment names one. */
  public static final Path DEFAULT = Path.of("/run/refcache/refcache.sock");

  private ControlSocket() {}

  /** The socket named by {@code option} (may be null or empty), else by {@code env}, else the default. */
  public static Path resolve(String option, Map<String, String> env) {
    String named = option != null && !option.isEmpty() ? option : env.get(ENV);
    return Path.of(named != null && !named.isEmpty() ? named : DEFAULT.toString()).toAbsolutePath();
  }
}
