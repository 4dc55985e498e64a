package org.refcache.core.content;

import java.nio.file.NoSuchFileException;
import org.refcache.core.digest.Digest;

/** No committed blob has the requested digest. {@link #getFile()} is the digest string. */
public class ContentNotFoundException extends NoSuchFileException {
  private static final long serialVersionUID = 1L;

  private final transient Digest digest;

  /** For the missing {@code digest}. */
  public ContentNotFoundException(Digest digest) {
    super(digest.toString(), null, "content not found");
    this.digest = digest;
  }

  /** The digest that was not found. */
  public Digest digest() {
    return digest;
  }
}
