package org.refcache.core.remote;

import java.io.IOException;

/** JSON that is not a valid manifest, index or image config. The message says which field is wrong. */
public class MalformedManifestException extends IOException {
  private static final long serialVersionUID = 1L;

  /** With a message naming the wrong field. */
  public MalformedManifestException(String message) {
    super(message);
  }

  /** With a message and the parser's exception. */
  public MalformedManifestException(String message, Throwable cause) {
    super(message, cause);
  }
}
