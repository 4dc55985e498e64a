package org.refcache.daemon;

import java.io.IOException;

/** The client of a request went away while the service was still sending to it; the request stops. */
final class ClientGoneException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ClientGoneException(IOException cause) {
    super("the client went away: " + cause.getMessage(), cause);
  }
}
