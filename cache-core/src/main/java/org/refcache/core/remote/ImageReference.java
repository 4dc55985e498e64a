package org.refcache.core.remote;

import java.util.Objects;
import java.util.regex.Pattern;
import org.refcache.core.digest.Digest;
import org.refcache.core.digest.InvalidDigestException;

/**
 * A reference to an image in a registry: {@code host[:port]/repository[:tag][@digest]}.
 *
 * <p>The registry host is required: a short name such as {@code app:1.0} is refused rather than
 * completed with a default registry, so that no registry is ever chosen for the user. A reference
 * with neither tag nor digest gets the tag {@value #DEFAULT_TAG}; with both, the digest decides what
 * is fetched and the tag is kept for messages.
 *
 * @param registry the registry's {@code host[:port]}, as written (an IPv6 host in brackets)
 * @param repository the repository path, lower-case components separated by {@code /}
 * @param tag the tag, or null when the reference has only a digest
 * @param digest the manifest digest, or null
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
  /** The tag of a reference that names neither tag nor digest. */
  public static final String DEFAULT_TAG = "latest";

  private static final int MAX_NAME = 255;
  private static final Pattern LABEL = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?");
  private static final Pattern DOMAIN = Pattern.compile(
      "(?:" + LABEL + "(?:\\." + LABEL + ")*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?");
  private static final Pattern PATH_COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  /** Validates every part; see {@link #parse} for the rules. */
  public ImageReference {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(repository, "repository");
    String whole = registry + "/" + repository;
    if (!DOMAIN.matcher(registry).matches()) {
      throw invalid(whole, "\"" + registry + "\" is not a registry host[:port]");
    }
    for (String component : repository.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        throw invalid(whole, "repository component \"" + component
            + "\" must be lower-case letters and digits, separated by '.', '_', '__' or '-'");
      }
    }
    if (whole.length() > MAX_NAME) {
      throw invalid(whole, "the name is longer than " + MAX_NAME + " characters");
    }
    if (tag != null && !TAG.matcher(tag).matches()) {
      throw invalid(whole + ":" + tag, "tag \"" + tag + "\" must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
    }
    if (tag == null && digest == null) {
      throw invalid(whole, "a reference needs a tag or a digest");
    }
  }

  /**
   * Parses {@code host[:port]/repository[:tag][@digest]}.
   *
   * @throws InvalidReferenceException naming {@code s} and what is wrong with it: no registry host
   *     (the first component has no '.' or ':' and is not {@code localhost}), an invalid host,
   *     repository, tag or digest
   */
  public static ImageReference parse(String s) {
    Objects.requireNonNull(s, "reference");
    String rest = s;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(rest.substring(at + 1));
      } catch (InvalidDigestException e) {
        throw new InvalidReferenceException("invalid image reference \"" + s + "\": " + e.getMessage());
      }
      rest = rest.substring(0, at);
    }
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new InvalidReferenceException("invalid image reference \"" + s
          + "\": no registry host; write it as host[:port]/repository[:tag]");
    }
    String first = rest.substring(0, slash);
    if (!looksLikeHost(first)) {
      throw new InvalidReferenceException("invalid image reference \"" + s + "\": \"" + first
          + "\" is not a registry host (a host has a '.' or a ':port', or is localhost); write it as"
          + " host[:port]/repository[:tag]");
    }
    String path = rest.substring(slash + 1);
    String tag = null;
    int colon = path.lastIndexOf(':');
    if (colon >= 0) {
      tag = path.substring(colon + 1);
      path = path.substring(0, colon);
    } else if (digest == null) {
      tag = DEFAULT_TAG;
    }
    try {
      return new ImageReference(first, path, tag, digest);
    } catch (InvalidReferenceException e) {
      throw new InvalidReferenceException("invalid image reference \"" + s + "\": " + e.reason());
    }
  }

  private static boolean looksLikeHost(String component) {
    return component.contains(".") || component.contains(":") || component.equals("localhost");
  }

  /** The registry's host without port (and without the brackets of an IPv6 address). */
  public String host() {
    String h = registry;
    if (h.startsWith("[")) {
      return h.substring(1, h.indexOf(']'));
    }
    int colon = h.lastIndexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  /** What names the manifest in {@code /v2/<repository>/manifests/<reference>}: the digest if any, else the tag. */
  public String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  /** {@code registry/repository}, without tag or digest. */
  public String name() {
    return registry + "/" + repository;
  }

  /** The same repository at {@code d}, keeping the tag for messages. */
  public ImageReference withDigest(Digest d) {
    return new ImageReference(registry, repository, tag, Objects.requireNonNull(d, "digest"));
  }

  /** The same repository at {@code d} alone, without a tag (what a manifest is pushed by digest to). */
  public ImageReference byDigest(Digest d) {
    return new ImageReference(registry, repository, null, Objects.requireNonNull(d, "digest"));
  }

  /** {@code registry/repository[:tag][@digest]}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }

  private static InvalidReferenceException invalid(String reference, String reason) {
    return new InvalidReferenceException("invalid image reference \"" + reference + "\": " + reason, reason);
  }
}
