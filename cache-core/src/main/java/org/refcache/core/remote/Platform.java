package org.refcache.core.remote;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The platform of an image in an index: {@code os/architecture[/variant]}, as in the OCI image spec.
 *
 * <p>Architectures and variants are compared in containerd's normal form: {@code x86_64} is
 * {@code amd64}, {@code aarch64} is {@code arm64}, and an {@code arm64} without a variant is
 * {@code v8}. A wanted platform without a variant accepts any variant of its architecture.
 *
 * @param os the operating system, e.g. {@code linux}
 * @param architecture the CPU architecture, e.g. {@code amd64}
 * @param variant the CPU variant, e.g. {@code v7}, or null
 */
public record Platform(String os, String architecture, String variant) {
  // Before LINUX_AMD64: its construction validates with it.
  private static final Pattern PART = Pattern.compile("[a-z0-9_.-]+");

  /** The platform pulled when none is named. */
  public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", null);

  /** Validates the parts: lower-case letters, digits, {@code _ . -}. */
  public Platform {
    requirePart("os", os);
    requirePart("architecture", architecture);
    if (variant != null) {
      requirePart("variant", variant);
    }
  }

  private static void requirePart(String what, String value) {
    Objects.requireNonNull(value, what);
    if (!PART.matcher(value).matches()) {
      throw new InvalidReferenceException("invalid platform " + what + " \"" + value
          + "\": use lower-case letters, digits, '_', '.', '-'");
    }
  }

  /**
   * Parses {@code os/architecture[/variant]} (case-insensitive), e.g. {@code linux/arm64/v8}.
   *
   * @throws InvalidReferenceException naming {@code s} when it has not two or three parts
   */
  public static Platform parse(String s) {
    Objects.requireNonNull(s, "platform");
    String[] parts = s.toLowerCase(Locale.ROOT).split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new InvalidReferenceException("invalid platform \"" + s + "\": write it as os/architecture[/variant]");
    }
    try {
      return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
    } catch (InvalidReferenceException e) {
      throw new InvalidReferenceException("invalid platform \"" + s + "\": " + e.getMessage());
    }
  }

  /** Whether an image built for {@code candidate} serves this (wanted) platform. */
  public boolean accepts(Platform candidate) {
    if (!os.equals(candidate.os) || !normalArchitecture().equals(candidate.normalArchitecture())) {
      return false;
    }
    return variant == null || Objects.equals(normalVariant(), candidate.normalVariant());
  }

  private String normalArchitecture() {
    return switch (architecture) {
      case "x86_64", "x86-64" -> "amd64";
      case "aarch64" -> "arm64";
      default -> architecture;
    };
  }

  private String normalVariant() {
    if (variant == null && normalArchitecture().equals("arm64")) {
      return "v8";
    }
    return variant;
  }

  /** {@code os/architecture[/variant]}, the form {@link #parse} reads. */
  @Override
  public String toString() {
    return os + "/" + architecture + (variant != null ? "/" + variant : "");
  }
}
