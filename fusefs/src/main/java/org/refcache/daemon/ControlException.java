package org.refcache.daemon;

import org.refcache.protocol.ErrorKind;

/** A request failed for a reason the service states itself, with the kind the client reports. */
public class ControlException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorKind kind;

  public ControlException(ErrorKind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ErrorKind kind() {
    return kind;
  }
}
