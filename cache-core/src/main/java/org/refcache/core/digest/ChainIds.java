package org.refcache.core.digest;

import java.util.List;
import java.util.Objects;

/**
 * Chain IDs of layer stacks (OCI image spec, {@code imagespecidentity.ChainID} in BuildKit; refcache
 * spec section 3.3).
 *
 * <p>{@code ChainID([x]) = x}; {@code ChainID([a, b]) = sha256("<a> <b>")} (the two digest strings
 * joined by one space); a longer list folds left: {@code ChainID([a, b, c]) = ChainID([ChainID([a, b]),
 * c])}. The same formula gives blob chain IDs when fed blob digests.
 */
public final class ChainIds {
  private ChainIds() {}

  /**
   * The chain ID of {@code diffIds}, bottom layer first.
   *
   * @throws IllegalArgumentException when the list is empty (an empty stack has no chain ID)
   */
  public static Digest chainId(List<Digest> diffIds) {
    Objects.requireNonNull(diffIds, "diffIds");
    if (diffIds.isEmpty()) {
      throw new IllegalArgumentException("chain ID of an empty layer list is undefined");
    }
    Digest chain = Objects.requireNonNull(diffIds.get(0), "diffIds[0]");
    for (int i = 1; i < diffIds.size(); i++) {
      chain = of(chain, Objects.requireNonNull(diffIds.get(i), "diffIds[" + i + "]"));
    }
    return chain;
  }

  /** One fold step: {@code sha256("<parentChain> <next>")}. */
  public static Digest of(Digest parentChain, Digest next) {
    Objects.requireNonNull(parentChain, "parentChain");
    Objects.requireNonNull(next, "next");
    return Digest.sha256(parentChain + " " + next);
  }
}
