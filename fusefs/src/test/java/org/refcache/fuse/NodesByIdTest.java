package org.refcache.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NodesByIdTest {

  private final NodesById table = new NodesById();

  private static NodeTable.Node node(long id) {
    return new NodeTable.Node(id, false, null);
  }

  @Test
  void findsWhatWasPutUntilItIsRemoved() {
    NodeTable.Node one = node(1);
    NodeTable.Node two = node(2);
    table.put(one);
    table.put(two);

    assertThat(table.get(1)).isSameAs(one);
    assertThat(table.get(2)).isSameAs(two);
    assertThat(table.get(3)).isNull();
    table.remove(1);
    assertThat(table.containsKey(1)).isFalse();
    assertThat(table.get(2)).isSameAs(two);
    assertThat(table.size()).isEqualTo(1);
    assertThat(table.values()).containsExactly(two);
  }

  @Test
  void aNodePutAgainUnderItsIdReplacesTheOldOne() {
    table.put(node(5));
    NodeTable.Node again = node(5);
    table.put(again);
    assertThat(table.get(5)).isSameAs(again);
    assertThat(table.size()).isEqualTo(1);
  }

  /** Many puts and removes in random order, growing the table, against a HashMap. */
  @Test
  void agreesWithAHashMapThroughGrowthAndRemovals() {
    Map<Long, NodeTable.Node> expected = new HashMap<>();
    Random random = new Random(42);
    long nextId = 1;
    for (int step = 0; step < 200_000; step++) {
      if (expected.isEmpty() || random.nextInt(3) > 0) {
        NodeTable.Node n = node(nextId++);
        table.put(n);
        expected.put(n.id, n);
      } else {
        long id = 1 + (long) random.nextInt((int) nextId);
        table.remove(id);
        expected.remove(id);
      }
      if (step % 20_000 == 0) {
        assertThat(table.size()).isEqualTo(expected.size());
        assertThat(idsFoundOtherwise(expected, nextId)).isZero();
      }
    }
    assertThat(table.values()).hasSize(expected.size()); // nodes compare by identity:
    assertThat(new HashSet<>(table.values())).isEqualTo(new HashSet<>(expected.values()));
    assertThat(idsFoundOtherwise(expected, nextId + 10)).isZero();
  }

  private long idsFoundOtherwise(Map<Long, NodeTable.Node> expected, long idsBelow) {
    long wrong = 0;
    for (long id = 1; id < idsBelow; id++) {
      if (table.get(id) != expected.get(id)) {
        wrong++;
      }
    }
    return wrong;
  }
}
