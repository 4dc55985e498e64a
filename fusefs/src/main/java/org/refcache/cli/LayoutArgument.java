package org.refcache.cli;

/**
 * {@code DIR[:TAG]} as the user typed it: the path up to the first {@code :} (made absolute, as the
 * service reads paths), the tag after it, or none. The tag itself is checked by the service.
 */
record LayoutArgument(String path, String tag) {
  static LayoutArgument parse(String text) throws CliFailure {
    int colon = text.indexOf(':');
    String path = colon < 0 ? text : text.substring(0, colon);
    String tag = colon < 0 ? null : text.substring(colon + 1);
    if (path.isEmpty()) {
      throw new CliFailure(2, "\"" + text + "\": no directory before the tag");
    }
    if (tag != null && tag.isEmpty()) {
      throw new CliFailure(2, "\"" + text + "\": empty tag after ':'");
    }
    return new LayoutArgument(ClientCommand.absolute(path), tag);
  }
}
