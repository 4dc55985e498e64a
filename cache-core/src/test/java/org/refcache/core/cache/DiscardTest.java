package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import org.junit.jupiter.api.Test;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.CacheFixture;

/**
 * {@link CacheManager#discard}: the undo of a creation nobody else saw, which the service uses when it
 * cannot record a handle it was given. What it removes must be gone after a restart too.
 */
class DiscardTest extends CacheFixture {
  private boolean exists(String id) {
    try {
      cm.info(id);
      return true;
    } catch (NotFoundException e) {
      return false;
    }
  }

  @Test
  void aFreshRetainedMutableGoesWithItsUpper() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    m.mount(false);
    Path upper = root.resolve("uppers").resolve(m.id());
    assertThat(upper).isDirectory();

    assertThat(cm.discard(m)).isTrue();

    assertThat(exists(m.id())).isFalse();
    reopen();
    assertThat(exists(m.id())).isFalse();
    assertThat(upper).doesNotExist();
  }

  @Test
  void aFreshTwinIsUndoneAndTheMutableIsWritableAgainThroughTheSameHandle() throws IOException {
    MutableRef m = cm.newRef(null);
    WritableOverlayTree tree = (WritableOverlayTree) m.mount(false);
    Files.writeString(tree.createFile("before", 0644, 0, 0, true), "kept");
    ImmutableRef twin = m.commit();
    assertThatThrownBy(() -> tree.createFile("frozen", 0644, 0, 0, true))
        .isInstanceOf(ReadOnlyFileSystemException.class);

    assertThat(cm.discard(twin)).isTrue();

    assertThat(exists(twin.id())).isFalse();
    assertThat(m.isCommitted()).isFalse();
    assertThat(cm.info(m.id()).equalImmutable()).isNull();
    tree.createFile("after", 0644, 0, 0, true);
    assertThat(m.mount(false)).isSameAs(tree);
    ImmutableRef again = m.commit();
    assertThat(again.id()).isNotEqualTo(twin.id());
    assertThat(again.mount(true).resolve("after")).isPresent();
    assertThat(Files.readString(again.mount(true).resolve("before").orElseThrow().real())).isEqualTo("kept");
    again.finalizeRef();
    again.release();
    reopen();
    assertThat(exists(twin.id())).isFalse();
    assertThat(exists(again.id())).isTrue();
  }

  @Test
  void aFreshBlobRecordGoesButItsBlobStays() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    ImmutableRef r = cm.getByBlob(a.desc(), null);

    assertThat(cm.discard(r)).isTrue();

    assertThat(cm.records()).isEmpty();
    assertThat(cm.contentStore().info(a.digest())).isPresent();
    reopen();
    assertThat(cm.records()).isEmpty();
  }

  @Test
  void aRecordThatCountedAUseIsOnlyReleased() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    cm.getByBlob(a.desc(), null).release(); // imported once and let go: a use
    ImmutableRef found = cm.getByBlob(a.desc(), null);

    assertThat(cm.discard(found)).isFalse();

    assertThat(exists(found.id())).isTrue();
    assertThat(cm.info(found.id()).handles()).isZero();
  }

  @Test
  void aRecordWithAnotherHandleOrAChildIsOnlyReleased() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    ImmutableRef parent = cm.getByBlob(a.desc(), null);
    ImmutableRef other = parent.cloneRef();
    MutableRef child = cm.newRef(parent);
    other.release();

    assertThat(cm.discard(parent)).as("a child stands on it").isFalse();

    assertThat(exists(parent.id())).isTrue();
    child.release();
  }

  @Test
  void aTwinWhoseCommitWasFinalizedIsOnlyReleased() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef twin = m.commit();
    twin.finalizeRef();

    assertThat(cm.discard(twin)).isFalse();

    assertThat(exists(twin.id())).isTrue();
    assertThat(exists(m.id())).isFalse();
  }
}
