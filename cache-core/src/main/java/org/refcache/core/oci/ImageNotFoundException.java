package org.refcache.core.oci;

import java.util.List;

/** A layout or archive has no image under the tag asked for. */
public class ImageNotFoundException extends OciFormatException {
  private static final long serialVersionUID = 1L;

  /**
   * @param where the layout or archive
   * @param tag   the tag asked for
   * @param tags  the tags it has, for the message
   */
  public ImageNotFoundException(String where, String tag, List<String> tags) {
    super(where + ": no image tagged \"" + tag + "\""
        + (tags.isEmpty() ? " (it has no tagged image)" : " (it has " + String.join(", ", tags)
            + ")"));
  }
}
