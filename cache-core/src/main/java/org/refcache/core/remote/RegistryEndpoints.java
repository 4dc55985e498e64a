package org.refcache.core.remote;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which scheme reaches a registry: HTTPS (certificates checked against the system trust store),
 * or plain HTTP for a loopback registry ({@code localhost}, {@code 127.0.0.0/8}, {@code ::1}) and for
 * a registry named as insecure. Names are not resolved to decide this: a name is loopback only if it
 * is {@code localhost} or a loopback address literal.
 */
final class RegistryEndpoints {
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(?:\\.[0-9]{1,3}){3}");

  private final Set<String> insecure;

  /** @param insecure registries ({@code host} or {@code host:port}) reached over plain HTTP */
  RegistryEndpoints(Set<String> insecure) {
    this.insecure = insecure.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
  }

  /** The base URI ({@code scheme://host[:port]}) of the image's registry. */
  URI base(ImageReference image) {
    return URI.create((plainHttp(image.registry(), image.host()) ? "http" : "https") + "://" + image.registry());
  }

  /** Whether {@code hostPort} (with host {@code host}) is reached over plain HTTP. */
  boolean plainHttp(String hostPort, String host) {
    String hp = hostPort.toLowerCase(Locale.ROOT);
    String h = host.toLowerCase(Locale.ROOT);
    return isLoopback(h) || insecure.contains(hp) || insecure.contains(h);
  }

  /** Whether plain HTTP to {@code uri} is allowed (it is HTTPS, or its host is loopback or insecure). */
  boolean allows(URI uri) {
    if ("https".equalsIgnoreCase(uri.getScheme())) {
      return true;
    }
    String host = uri.getHost() == null ? "" : uri.getHost();
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    String hostPort = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    return "http".equalsIgnoreCase(uri.getScheme()) && plainHttp(hostPort == null ? "" : hostPort, host);
  }

  /** {@code localhost}, or an IPv4 or IPv6 loopback literal. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost")) {
      return true;
    }
    if (!IPV4.matcher(h).matches() && !h.contains(":")) {
      return false; // a name: never resolved here
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress(); // a literal: no lookup
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
