package org.refcache.core.remote;

/** A string that is not a valid image reference or platform. The message names the input and the rule it breaks. */
public class InvalidReferenceException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String reason;

  /** With a message that names the input. */
  public InvalidReferenceException(String message) {
    this(message, message);
  }

  /** With a message that names the input, and the bare {@code reason} for callers that rephrase it. */
  public InvalidReferenceException(String message, String reason) {
    super(message);
    this.reason = reason;
  }

  /** What is wrong, without the input. */
  public String reason() {
    return reason;
  }
}
