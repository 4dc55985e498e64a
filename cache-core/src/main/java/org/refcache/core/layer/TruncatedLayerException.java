package org.refcache.core.layer;

/**
 * A layer blob ends early: its compressed stream or its tar stops in the middle. The message says
 * where (how many bytes were read, in which entry).
 */
public class TruncatedLayerException extends LayerFormatException {
  private static final long serialVersionUID = 1L;

  public TruncatedLayerException(String message, Throwable cause) {
    super(message, cause);
  }
}
