package org.refcache.core.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * A record's parents: exactly one of none, a layer parent, merge inputs or diff inputs (spec 1.1). The
 * handles are internal clones owned by the child, so a parent lives as long as any child does.
 */
sealed interface Parents {
  /** The parent handles, in kind order (layer; merge inputs; lower then upper). */
  List<ImmutableHandle> handles();

  RefKind kind();

  /** No parent: a base layer. */
  record None() implements Parents {
    @Override
    public List<ImmutableHandle> handles() {
      return List.of();
    }

    @Override
    public RefKind kind() {
      return RefKind.BASE_LAYER;
    }
  }

  /** One layer on top of {@code parent}. */
  record Layer(ImmutableHandle parent) implements Parents {
    @Override
    public List<ImmutableHandle> handles() {
      return List.of(parent);
    }

    @Override
    public RefKind kind() {
      return RefKind.LAYER;
    }
  }

  /** The ordered inputs of a merge (already flattened). */
  record Merge(List<ImmutableHandle> inputs) implements Parents {
    @Override
    public List<ImmutableHandle> handles() {
      return inputs;
    }

    @Override
    public RefKind kind() {
      return RefKind.MERGE;
    }
  }

  /** The inputs of a diff; either may be null. */
  record Diff(ImmutableHandle lower, ImmutableHandle upper) implements Parents {
    @Override
    public List<ImmutableHandle> handles() {
      List<ImmutableHandle> l = new ArrayList<>(2);
      if (lower != null) {
        l.add(lower);
      }
      if (upper != null) {
        l.add(upper);
      }
      return l;
    }

    @Override
    public RefKind kind() {
      return RefKind.DIFF;
    }
  }

  Parents NONE = new None();
}
