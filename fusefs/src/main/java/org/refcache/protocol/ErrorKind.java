package org.refcache.protocol;

import java.util.Arrays;

/**
 * Why a control request failed; the {@code refcache} command turns it into its exit status
 * (DESIGN: 2 usage, 3 not found, 4 locked, 1 anything else).
 */
public enum ErrorKind {
  /** The request itself is wrong: bad arguments, malformed or oversized line, unknown operation. */
  USAGE("usage", 2),
  /** A ref, handle, file or mount the request names does not exist. */
  NOT_FOUND("not_found", 3),
  /** The ref is held in a way that forbids the request. */
  LOCKED("locked", 4),
  /** Anything else. */
  OTHER("other", 1);

  private final String wireName;
  private final int exitCode;

  ErrorKind(String wireName, int exitCode) {
    this.wireName = wireName;
    this.exitCode = exitCode;
  }

  /** The name on the wire ({@code "not_found"}). */
  public String wireName() {
    return wireName;
  }

  /** The exit status of the {@code refcache} command for this kind. */
  public int exitCode() {
    return exitCode;
  }

  /** The kind named {@code name} on the wire; unknown names are {@link #OTHER}. */
  public static ErrorKind fromWire(String name) {
    return Arrays.stream(values()).filter(k -> k.wireName.equals(name)).findFirst().orElse(OTHER);
  }
}
