package org.refcache.core.layer;

/**
 * A layer is over one of its {@link LayerLimits}. It is a {@link LayerFormatException} (the layer is
 * refused), but unlike the others it depends on the configuration, not only on the bytes: the same
 * layer may pass once the limit is raised.
 */
public class LayerLimitException extends LayerFormatException {
  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * @param setting the limit's name ({@link LayerLimits#SIZE_SETTING} and the others)
   * @param message what went over the limit, naming the limit and its value
   */
  public LayerLimitException(String setting, String message) {
    super(message);
    this.setting = setting;
  }

  /** The name of the limit that was passed. */
  public String setting() {
    return setting;
  }
}
