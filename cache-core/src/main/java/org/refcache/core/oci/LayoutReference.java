package org.refcache.core.oci;

import java.nio.file.Path;
import java.util.Objects;

/**
 * {@code DIR[:TAG]}, the way {@code skopeo}'s {@code oci:} transport names an image in a layout:
 * the directory up to the first {@code :}, the tag after it ({@value OciLayoutWriter#DEFAULT_TAG}
 * when there is none).
 *
 * @param dir the layout's directory
 * @param tag the image's tag
 */
public record LayoutReference(Path dir, String tag) {
  public LayoutReference {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(tag, "tag");
  }

  /**
   * Parses {@code DIR[:TAG]}.
   *
   * @throws IllegalArgumentException if the directory part is empty or the tag is not valid
   */
  public static LayoutReference parse(String reference) {
    Objects.requireNonNull(reference, "reference");
    int colon = reference.indexOf(':');
    String dir = colon < 0 ? reference : reference.substring(0, colon);
    String tag = colon < 0 ? OciLayoutWriter.DEFAULT_TAG : reference.substring(colon + 1);
    if (dir.isEmpty()) {
      throw new IllegalArgumentException("\"" + reference + "\": no directory before the tag");
    }
    if (!OciLayoutWriter.isValidTag(tag)) {
      throw new IllegalArgumentException("\"" + reference + "\": \"" + tag
          + "\" is not a valid image tag");
    }
    return new LayoutReference(Path.of(dir), tag);
  }

  @Override
  public String toString() {
    return dir + ":" + tag;
  }
}
