package org.refcache.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.refcache.core.digest.ChainIds;
import org.refcache.core.digest.Digest;
import org.refcache.core.meta.Value;
import org.refcache.core.overlay.OverlayTree;
import org.refcache.core.overlay.WritableOverlayTree;
import org.refcache.testing.CacheFixture;

/**
 * Conformance with BuildKit's cache manager, spec section 7 cases 1-16 and 31-40. Where refcache's model
 * differs (layers are directories, not containerd snapshots), the Javadoc of the case says how it maps.
 */
class CacheManagerConformanceTest extends CacheFixture {
  private static boolean writable(OverlayTree t) {
    return t instanceof WritableOverlayTree w && !w.frozen();
  }

  private ImmutableRef committedScratch(String file) throws IOException {
    MutableRef m = cm.newRef(null);
    WritableOverlayTree t = (WritableOverlayTree) m.mount(false);
    Path p = t.createFile(file, 0644, 0, 0, true);
    Files.writeString(p, file);
    return m.commit();
  }

  // ------------------------------------------------------------------ lifecycle

  @Test
  void case01_getOfUnknownIdIsNotFound() {
    assertThatThrownBy(() -> cm.get("doesnotexist")).isInstanceOf(NotFoundException.class);
  }

  /** The rw mount of a new mutable is an existing, empty directory (its upper). */
  @Test
  void case02_newWithoutParentMountsAnEmptyWritableDirectory() throws IOException {
    try (MutableRef m = cm.newRef(null)) {
      OverlayTree t = m.mount(false);
      assertThat(writable(t)).isTrue();
      assertThat(t.list("")).isEmpty();
      assertThat(root.resolve("uppers").resolve(m.id())).isEmptyDirectory();
    }
  }

  @Test
  void case03_getMutableWhileMutableHeldIsLocked() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    assertThatThrownBy(() -> cm.getMutable(m.id())).isInstanceOf(LockedException.class);
    assertThatThrownBy(() -> cm.get(m.id())).isInstanceOf(LockedException.class);
    m.release();
  }

  @Test
  void case04_getMutableAfterCommitIsLockedWhileCommittedHeld() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    assertThatThrownBy(() -> cm.getMutable(m.id())).isInstanceOf(LockedException.class);
    c.release();
  }

  @Test
  void case05_getOfHeldCommittedRefGivesSecondHandleWithSameId() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    ImmutableRef c2 = cm.get(c.id());
    assertThat(c2.id()).isEqualTo(c.id());
    assertThat(cm.handleCount(c.id())).isEqualTo(2);
    c2.release();
    c.release();
  }

  @Test
  void case06_retainedMutableIsGettableAfterCommittedReleased() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.release();
    MutableRef again = cm.getMutable(m.id());
    assertThat(again.id()).isEqualTo(m.id());
    again.release();
  }

  @Test
  void case07_getMutableDeletesUnusedCommittedTwin() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.release();
    MutableRef again = cm.getMutable(m.id());
    assertThatThrownBy(() -> cm.get(c.id())).isInstanceOf(NotFoundException.class);
    again.release();
  }

  @Test
  void case08_getMutableWhileTwinHeldAgainIsLocked() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.release();
    ImmutableRef held = cm.get(c.id());
    assertThatThrownBy(() -> cm.getMutable(m.id())).isInstanceOf(LockedException.class);
    held.release();
    cm.getMutable(m.id()).release();
  }

  @Test
  void case09_finalizeMakesMutableUnreachableAndKeepsCommitted() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.finalizeRef();
    c.release();
    assertThatThrownBy(() -> cm.getMutable(m.id())).isInstanceOf(NotFoundException.class);
    cm.get(c.id()).release();
  }

  @Test
  void case10_getMutableOfImmutableIsInvalidNotLocked() {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.finalizeRef();
    assertThatThrownBy(() -> cm.getMutable(c.id())).isInstanceOf(InvalidRefException.class)
        .hasMessageContaining("not mutable");
    c.release();
  }

  @Test
  void case11_retainAndCommitStateSurvivesRestart() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    String mid = m.id();
    String cid = c.id();
    reopen();
    ImmutableRef c2 = cm.get(cid);
    c2.release();
    MutableRef m2 = cm.getMutable(mid);
    assertThat(m2.id()).isEqualTo(mid);
    assertThatThrownBy(() -> cm.get(cid)).isInstanceOf(NotFoundException.class);
    m2.release();
  }

  @Test
  void case12_finalizeAfterRestartMakesMutableUnreachable() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    String mid = m.id();
    String cid = c.id();
    reopen();
    ImmutableRef c2 = cm.get(cid);
    c2.finalizeRef();
    c2.release();
    assertThatThrownBy(() -> cm.getMutable(mid)).isInstanceOf(NotFoundException.class);
    cm.get(cid).release();
  }

  /**
   * BuildKit crashes between the snapshot commit and clearing {@code equalMutable}. refcache's finalize
   * clears the mutable's metadata first, then the twin's link; the crash state is "mutable metadata gone,
   * twin still linked", made here by clearing the mutable's item while the manager is down.
   */
  @Test
  void case13_crashDuringFinalizeLoadsAsFinalized() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    WritableOverlayTree t = (WritableOverlayTree) m.mount(false);
    Files.writeString(t.createFile("kept", 0644, 0, 0, true), "data");
    ImmutableRef c = m.commit();
    String mid = m.id();
    String cid = c.id();
    withClosedStore(store -> store.clear(mid));
    assertThatThrownBy(() -> cm.getMutable(mid)).isInstanceOf(NotFoundException.class);
    ImmutableRef c2 = cm.get(cid);
    c2.finalizeRef();
    OverlayTree tree = c2.mount(true);
    assertThat(tree.resolve("kept")).isPresent();
    assertThat(Files.readString(tree.resolve("kept").get().real())).isEqualTo("data");
    c2.release();
  }

  /** A merge record whose first input is tombstoned is dropped; its other input keeps no leaked handle. */
  @Test
  void case14_recordWithTombstonedParentIsDroppedWithoutLeakingHandles() throws IOException {
    Layers.Blob a = Layers.uncompressed(Layers.files("a", "1")).store(cm.contentStore());
    Layers.Blob b = Layers.uncompressed(Layers.files("b", "2")).store(cm.contentStore());
    ImmutableRef ra = cm.getByBlob(a.desc(), null);
    ImmutableRef rb = cm.getByBlob(b.desc(), null);
    String aid = ra.id();
    String bid = rb.id();
    ra.release();
    rb.release();
    String mergeId = "mergerecord0000000000000a";
    withClosedStore(store -> {
      store.update(mergeId, w -> {
        w.setValue("cache.mergeParents", Value.of(List.of(aid, bid)));
        w.setValue("snapshot.committed", Value.of(true));
        w.setValue("cache.createdAt", Value.of(1L));
      });
      store.get(aid).setValue("cache.deleted", Value.of(true));
    });
    assertThatThrownBy(() -> cm.get(mergeId)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> cm.get(aid)).isInstanceOf(NotFoundException.class);
    ImmutableRef b2 = cm.get(bid);
    assertThat(cm.handleCount(bid)).isEqualTo(1);
    b2.release();
  }

  /** The scratch directory (BuildKit's mount pool) and uppers no record owns are emptied at start. */
  @Test
  void case15_startupRemovesStaleScratchAndOrphanUppers() throws IOException {
    MutableRef kept = cm.newRef(null, RefOptions.retain());
    kept.mount(false);
    String keptId = kept.id();
    cm.close();
    Files.createDirectories(root.resolve("tmp/stale-mount/sub"));
    Files.createDirectories(root.resolve("uppers/orphan0000000000000000000/x"));
    cm = CacheManager.open(CacheConfig.at(root));
    try (Stream<Path> s = Files.list(root.resolve("tmp"))) {
      assertThat(s.toList()).isEmpty();
    }
    assertThat(root.resolve("uppers/orphan0000000000000000000")).doesNotExist();
    assertThat(root.resolve("uppers").resolve(keptId)).isDirectory();
  }

  @Test
  void case16_mountModesFollowMutabilityAlsoForChildren() throws IOException {
    MutableRef m = cm.newRef(null);
    assertThat(writable(m.mount(false))).isTrue();
    assertThat(writable(m.mount(true))).isFalse();
    ImmutableRef i = m.commit();
    i.finalizeRef();
    assertThat(writable(i.mount(false))).isFalse();
    assertThat(writable(i.mount(true))).isFalse();
    MutableRef child = cm.newRef(i);
    assertThat(writable(child.mount(false))).isTrue();
    assertThat(writable(child.mount(true))).isFalse();
    ImmutableRef ci = child.commit();
    assertThat(writable(ci.mount(false))).isFalse();
    assertThat(writable(ci.mount(true))).isFalse();
    ci.release();
    i.release();
  }

  // ------------------------------------------------------------------ blobs, lazy refs, chain IDs

  @Test
  void case31_getByBlobWithoutUncompressedAnnotationFails() throws IOException {
    Layers.Blob a = Layers.uncompressed(Layers.files("a", "1")).store(cm.contentStore());
    Descriptor noAnnotation = new Descriptor(a.desc().mediaType(), a.digest(), a.bytes().length, Map.of(), null);
    assertThatThrownBy(() -> cm.getByBlob(noAnnotation, null)).isInstanceOf(InvalidRefException.class)
        .hasMessageContaining("uncompressed");
  }

  @Test
  void case32_absentBlobWithoutProviderNeedsRemoteProvider() throws IOException {
    Layers.Blob a = Layers.uncompressed(Layers.files("a", "1"));
    assertThatThrownBy(() -> cm.getByBlob(a.desc(), null)).isInstanceOf(NeedsRemoteProviderException.class)
        .satisfies(e -> assertThat(((NeedsRemoteProviderException) e).digests()).containsExactly(a.digest()))
        .hasMessageContaining(a.digest().toString());
  }

  @Test
  void case33_presentBlobGivesBlobOnlyRefWithoutLayerDir() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    try (ImmutableRef r = cm.getByBlob(a.desc(), null)) {
      assertThat(r.isBlobOnly()).isTrue();
      assertThat(r.size()).isEqualTo(a.bytes().length);
      assertThat(cm.layerStore().isUnpacked(a.desc().annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION)
          .transform(Digest::parse))).isFalse();
      try (Stream<Path> s = Files.list(root.resolve("layers"))) {
        assertThat(s.filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();
      }
    }
  }

  /** refcache's own: the FUSE view asks before mounting whether that would unpack (slow). */
  @Test
  void needsExtractTellsWhetherAMountWouldUnpackAnyLayerOfTheChainWithoutDoingIt()
      throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    Layers.Blob b = Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore());
    try (ImmutableRef ra = cm.getByBlob(a.desc(), null);
         ImmutableRef rb = cm.getByBlob(b.desc(), ra)) {
      assertThat(cm.needsExtract(rb.id())).isTrue();
      assertThat(cm.needsExtract(rb.id())).as("asking unpacks nothing").isTrue();
      assertThat(ra.isBlobOnly()).isTrue();
      ra.extract();
      assertThat(cm.needsExtract(ra.id())).isFalse();
      assertThat(cm.needsExtract(rb.id())).as("its own layer is still packed").isTrue();
      try (MutableRef m = cm.newRef(rb)) {
        // newRef extracts its parent chain (as BuildKit's New does): nothing left to unpack.
        assertThat(cm.needsExtract(m.id())).isFalse();
        assertThat(cm.needsExtract(rb.id())).isFalse();
      }
    }
    assertThatThrownBy(() -> cm.needsExtract("nosuchref")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void case34_extractMaterializesEveryLayerOfTheChain() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    Layers.Blob b = Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore());
    ImmutableRef ra = cm.getByBlob(a.desc(), null);
    ImmutableRef rb = cm.getByBlob(b.desc(), ra);
    rb.extract();
    assertThat(ra.isBlobOnly()).isFalse();
    assertThat(rb.isBlobOnly()).isFalse();
    try (Stream<Path> s = Files.list(root.resolve("layers"))) {
      assertThat(s.filter(p -> !p.getFileName().toString().startsWith(".")).toList()).hasSize(2);
    }
    OverlayTree t = rb.mount(true);
    assertThat(Files.readString(t.resolve("a").get().real())).isEqualTo("1");
    assertThat(Files.readString(t.resolve("b").get().real())).isEqualTo("2");
    rb.release();
    ra.release();
  }

  @Test
  void case35_getByBlobOnParentWithoutChainIdsFailsUntilParentHasBlob() throws IOException {
    ImmutableRef parent = committedScratch("p");
    Layers.Blob child = Layers.uncompressed(Layers.files("c", "3")).store(cm.contentStore());
    assertThatThrownBy(() -> cm.getByBlob(child.desc(), parent)).isInstanceOf(InvalidRefException.class)
        .hasMessageContaining("non-addressable parent");
    Layers.Blob parentBlob = Layers.uncompressed(Layers.files("p", "p")).store(cm.contentStore());
    ((ImmutableHandle) parent).setBlob(parentBlob.desc());
    try (ImmutableRef r = cm.getByBlob(child.desc(), parent)) {
      assertThat(r.chainId()).contains(ChainIds.of(parentBlob.digest(), child.digest()));
    }
    parent.release();
  }

  @Test
  void case36_chainIdFormulasHoldAndSnapshotIdIsChainId() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    Layers.Blob b = Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore());
    Digest da = Digest.parse(a.desc().annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
    Digest db = Digest.parse(b.desc().annotations().get(Descriptor.UNCOMPRESSED_ANNOTATION));
    try (ImmutableRef ra = cm.getByBlob(a.desc(), null); ImmutableRef rb = cm.getByBlob(b.desc(), ra)) {
      assertThat(ra.chainId()).contains(da);
      assertThat(ra.blobChainId()).contains(sha("" + a.digest() + " " + da));
      Digest bBlobPart = sha("" + b.digest() + " " + db);
      assertThat(rb.chainId()).contains(sha(da + " " + db));
      assertThat(rb.blobChainId()).contains(sha(ra.blobChainId().get() + " " + bBlobPart));
      assertThat(ra.snapshotId()).isEqualTo(da.toString());
      assertThat(rb.snapshotId()).isEqualTo(rb.chainId().get().toString());
    }
  }

  private static Digest sha(String s) {
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return Digest.parse("sha256:" + java.util.HexFormat.of().formatHex(h));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void case37_sameBlobAndParentGiveSameRecord() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    Layers.Blob b = Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore());
    try (ImmutableRef ra = cm.getByBlob(a.desc(), null);
        ImmutableRef rb1 = cm.getByBlob(b.desc(), ra);
        ImmutableRef rb2 = cm.getByBlob(b.desc(), ra);
        ImmutableRef ra2 = cm.getByBlob(a.desc(), null)) {
      assertThat(rb2.id()).isEqualTo(rb1.id());
      assertThat(ra2.id()).isEqualTo(ra.id());
    }
  }

  @Test
  void case38_sameDiffIdDifferentBlobSharesSnapshotNotRecord() throws IOException {
    Map<String, String> files = Layers.files("x", "same");
    Layers.Blob plain = Layers.uncompressed(files).store(cm.contentStore());
    Layers.Blob gz = Layers.gzipped(files).store(cm.contentStore());
    Layers.Blob base = Layers.gzipped(Layers.files("base", "0")).store(cm.contentStore());
    try (ImmutableRef p = cm.getByBlob(base.desc(), null);
        ImmutableRef r1 = cm.getByBlob(plain.desc(), p);
        ImmutableRef r2 = cm.getByBlob(gz.desc(), p)) {
      assertThat(r2.id()).isNotEqualTo(r1.id());
      assertThat(r2.snapshotId()).isEqualTo(r1.snapshotId());
      assertThat(r2.chainId()).isEqualTo(r1.chainId());
      assertThat(r2.blobChainId()).isNotEqualTo(r1.blobChainId());
      r1.extract();
      r2.extract();
      assertThat(r1.mount(true).resolve("x").get().real()).isEqualTo(r2.mount(true).resolve("x").get().real());
    }
  }

  @Test
  void case39_twoLazyBlobsWithEqualDiffIdBothSucceed() throws IOException {
    Map<String, String> files = Layers.files("x", "lazy");
    Layers.Blob plain = Layers.uncompressed(files);
    Layers.Blob gz = Layers.gzipped(files);
    DescHandler hp = DescHandler.of(d -> plain.open(), "test/plain");
    DescHandler hg = DescHandler.of(d -> gz.open(), "test/gz");
    try (ImmutableRef r1 = cm.getByBlob(plain.desc(), null, RefOptions.descHandlers(Map.of(plain.digest(), hp)));
        ImmutableRef r2 = cm.getByBlob(gz.desc(), null, RefOptions.descHandlers(Map.of(gz.digest(), hg)))) {
      assertThat(r1.id()).isNotEqualTo(r2.id());
      assertThat(r1.isBlobOnly()).isTrue();
      assertThat(r2.isBlobOnly()).isTrue();
      assertThat(r1.size()).isZero();
    }
  }

  @Test
  void case40_setBlobRequiresContentAndRecordsBlobFields() throws IOException {
    ImmutableRef r = committedScratch("f");
    Layers.Blob missing = Layers.uncompressed(Layers.files("f", "f"));
    assertThatThrownBy(() -> ((ImmutableHandle) r).setBlob(missing.desc())).isInstanceOf(NotFoundException.class);
    missing.store(cm.contentStore());
    ((ImmutableHandle) r).setBlob(missing.desc());
    assertThat(r.blob()).contains(missing.digest());
    assertThat(r.diffId()).contains(missing.digest());
    assertThat(r.getString("cache.mediatype")).isEqualTo(missing.desc().mediaType());
    r.release();
  }

  // ------------------------------------------------------------------ refcache's own decisions

  @Test
  void lazyRefSurvivesRestartAndUnlaziesOnceProviderIsRebound() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("hello", "world"));
    DescHandler h = DescHandler.of(d -> a.open(), "registry.example/app@" + a.digest());
    String id;
    try (ImmutableRef r = cm.getByBlob(a.desc(), null, RefOptions.descHandlers(Map.of(a.digest(), h)))) {
      id = r.id();
    }
    reopen();
    assertThatThrownBy(() -> cm.get(id)).isInstanceOf(NeedsRemoteProviderException.class);
    cm.close();
    List<String> asked = new ArrayList<>();
    RemoteResolver resolver = (ref, desc) -> {
      asked.add(ref);
      return Optional.of(DescHandler.of(d -> a.open(), ref));
    };
    cm = CacheManager.open(new CacheConfig(root, null, resolver));
    try (ImmutableRef r = cm.get(id)) {
      OverlayTree t = r.mount(true);
      assertThat(Files.readString(t.resolve("hello").get().real())).isEqualTo("world");
    }
    assertThat(asked).containsExactly("registry.example/app@" + a.digest());
  }

  @Test
  void concurrentExtractsFetchEachBlobOnce() throws Exception {
    Layers.Blob a = Layers.gzipped(Layers.files("f", "x".repeat(100_000)));
    java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
    DescHandler h = DescHandler.of(d -> {
      fetches.incrementAndGet();
      return a.open();
    }, "src");
    ImmutableRef r = cm.getByBlob(a.desc(), null, RefOptions.descHandlers(Map.of(a.digest(), h)));
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 8; i++) {
      Thread t = new Thread(() -> {
        try (ImmutableRef c = r.cloneRef()) {
          c.extract();
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(errors).isEmpty();
    assertThat(fetches).hasValue(1);
    assertThat(r.isBlobOnly()).isFalse();
    r.release();
  }

  @Test
  void committedMutableTreeRefusesWrites() throws IOException {
    MutableRef m = cm.newRef(null);
    WritableOverlayTree t = (WritableOverlayTree) m.mount(false);
    t.createFile("before", 0644, 0, 0, true);
    ImmutableRef c = m.commit();
    assertThat(m.isCommitted()).isTrue();
    assertThatThrownBy(() -> t.createFile("after", 0644, 0, 0, true))
        .isInstanceOf(ReadOnlyFileSystemException.class);
    assertThat(c.mount(true).resolve("before")).isPresent();
    c.release();
  }

  @Test
  void releasingDefaultPolicyMutableRemovesItAndItsUpper() throws Exception {
    MutableRef m = cm.newRef(null);
    String id = m.id();
    m.release();
    m.release();
    assertThatThrownBy(() -> cm.getMutable(id)).isInstanceOf(NotFoundException.class);
    cm.close();
    assertThat(root.resolve("uppers").resolve(id)).doesNotExist();
    cm = null;
  }

  @Test
  void childKeepsParentAliveAndSeesItsFiles() throws IOException {
    ImmutableRef base = committedScratch("base");
    MutableRef child = cm.newRef(base);
    base.release();
    WritableOverlayTree t = (WritableOverlayTree) child.mount(false);
    assertThat(t.resolve("base")).isPresent();
    Files.writeString(t.openForWrite("base", true), "changed");
    assertThat(Files.readString(t.resolve("base").get().real())).isEqualTo("changed");
    assertThat(child.kind()).isEqualTo(RefKind.LAYER);
    child.release();
  }

  @Test
  void optionsApplyAtCreationAndImageRefsAccumulate() throws IOException {
    java.time.Instant when = java.time.Instant.parse("2020-01-02T03:04:05.123456789Z");
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    String id;
    try (ImmutableRef r = cm.getByBlob(a.desc(), null, RefOptions.description("first"),
        RefOptions.creationTime(when), RefOptions.recordType(RecordTypes.LOCAL_SOURCE), RefOptions.imageRef("img:1"))) {
      id = r.id();
    }
    try (ImmutableRef r = cm.getByBlob(a.desc(), null, RefOptions.description("ignored"), RefOptions.imageRef("img:2"))) {
      assertThat(r.id()).isEqualTo(id);
      assertThat(r.description()).isEqualTo("first");
      assertThat(r.createdAt()).isEqualTo(when);
      assertThat(r.recordType()).isEqualTo(RecordTypes.LOCAL_SOURCE);
      assertThat(r.imageRefs()).containsExactly("img:1", "img:2");
    }
  }

  @Test
  void releaseCountsUsesAndNoUpdateLastUsedDoesNot() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    String id;
    try (ImmutableRef r = cm.getByBlob(a.desc(), null)) {
      id = r.id();
    }
    cm.get(id, RefOptions.noUpdateLastUsed()).release();
    RecordInfo info = cm.info(id);
    assertThat(info.usageCount()).isEqualTo(1);
    assertThat(info.lastUsedAt()).isNotNull();
    reopen();
    assertThat(cm.info(id).usageCount()).isEqualTo(1);
  }

  @Test
  void searchFindsRecordsByIndexSortedById() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    try (ImmutableRef r = cm.getByBlob(a.desc(), null)) {
      List<RefMetadata> found = cm.search("chainid:" + r.chainId().get(), false);
      assertThat(found).extracting(RefMetadata::id).containsExactly(r.id());
      r.setString("local.sharedKey", "k1", "local.sharedKey:k1");
      assertThat(cm.search("local.sharedKey:k1", false)).extracting(RefMetadata::id).containsExactly(r.id());
    }
  }

  @Test
  void layerChainGivesClonesOfEveryLayerBottomToTop() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    Layers.Blob b = Layers.gzipped(Layers.files("b", "2")).store(cm.contentStore());
    try (ImmutableRef ra = cm.getByBlob(a.desc(), null); ImmutableRef rb = cm.getByBlob(b.desc(), ra)) {
      List<ImmutableRef> chain = rb.layerChain();
      assertThat(chain).extracting(Ref::id).containsExactly(ra.id(), rb.id());
      assertThat(cm.handleCount(ra.id())).isEqualTo(3);
      chain.forEach(Ref::release);
      assertThat(cm.handleCount(ra.id())).isEqualTo(2);
    }
  }

  @Test
  void fileListNamesTheEntriesOfTheRecordsOwnLayerIncludingWhiteouts() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("dir/x", "1", ".wh.gone", "", "top", "t")).store(cm.contentStore());
    try (ImmutableRef r = cm.getByBlob(a.desc(), null)) {
      assertThat(r.fileList()).containsExactly(".wh.gone", "dir/x", "top");
      // Served from the cached external value the second time, even with the blob gone.
      assertThat(cm.contentStore().delete(a.digest())).isTrue();
      assertThat(r.fileList()).containsExactly(".wh.gone", "dir/x", "top");
    }
  }

  // ------------------------------------------------------------------ found in review

  @Test
  void childOfACommitWithoutWritesMountsItsTree() throws IOException {
    MutableRef m = cm.newRef(null);
    ImmutableRef c = m.commit();
    MutableRef child = cm.newRef(c);
    WritableOverlayTree t = (WritableOverlayTree) child.mount(false);
    assertThat(t.list("")).isEmpty();
    child.release();
    c.release();
  }

  @Test
  void crashDuringFinalizeOfAnUntouchedMutableKeepsTheCommittedRef() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    String mid = m.id();
    String cid = c.id();
    withClosedStore(store -> store.clear(mid));
    try (ImmutableRef again = cm.get(cid)) {
      again.finalizeRef();
      assertThat(again.mount(true).list("")).isEmpty();
    }
  }

  @Test
  void aReleasedHandleOfAnUncommittedTwinCannotTouchTheReacquiredMutable() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    Files.writeString(((WritableOverlayTree) m.mount(false)).createFile("f", 0644, 0, 0, true), "x");
    ImmutableRef c = m.commit();
    c.release();
    MutableRef again = cm.getMutable(m.id());
    assertThatThrownBy(() -> c.mount(true)).isInstanceOf(CacheException.class);
    assertThatThrownBy(c::extract).isInstanceOf(CacheException.class);
    assertThatThrownBy(c::finalizeRef).isInstanceOf(NotFoundException.class);
    assertThat(cm.info(m.id()).mutable()).isTrue();
    assertThat(again.mount(false).resolve("f")).isPresent();
    again.release();
  }

  @Test
  void readingAnIdleTwinDoesNotFinalizeIt() throws IOException {
    MutableRef m = cm.newRef(null, RefOptions.retain());
    ImmutableRef c = m.commit();
    c.extract();
    c.mount(true);
    c.release();
    MutableRef again = cm.getMutable(m.id());
    assertThat(again.id()).isEqualTo(m.id());
    again.release();
  }

  @Test
  void aMalformedRecordIsPurgedAtStartInsteadOfStoppingTheCache() throws IOException {
    Layers.Blob a = Layers.gzipped(Layers.files("a", "1")).store(cm.contentStore());
    String good;
    try (ImmutableRef r = cm.getByBlob(a.desc(), null)) {
      good = r.id();
    }
    withClosedStore(store -> store.update("brokenrecord000000000000a", w -> {
      w.setValue("snapshot.committed", Value.of("yes"));
      w.setValue("cache.blob", Value.of("not-a-digest"));
    }));
    assertThatThrownBy(() -> cm.get("brokenrecord000000000000a")).isInstanceOf(NotFoundException.class);
    cm.get(good).release();
  }

  @Test
  void namesTheMetadataStoreCannotHoldAreUnknownIds() {
    for (String bad : new String[] {"", "a::b", ":x", "nul\0id"}) {
      assertThatThrownBy(() -> cm.get(bad)).as(bad).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> cm.info(bad)).as(bad).isInstanceOf(NotFoundException.class);
    }
  }
}
