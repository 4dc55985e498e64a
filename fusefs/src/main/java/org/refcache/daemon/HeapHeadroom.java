package org.refcache.daemon;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the collector's soft heap limit ({@code -XX:SoftMaxHeapSize}, config/daemon-java.options)
 * above what is live: at least twice the heap in use after a collection, plus a margin, never
 * below the limit the service was started with.
 *
 * <p>Why: the daemon's collector (Shenandoah) collects whenever the free heap under the soft
 * limit falls below its threshold, and counts its evacuation reserve (5% of the largest heap) as
 * taken. With 128 MiB as the limit, anything above about 64 MiB live leaves it no free heap at
 * all, and it collects back to back, each cycle marking all that is live: a walk of 200 000
 * entries, whose nodes the kernel holds (about 200 B each), spent more CPU in the collector than
 * in serving the walk (docs/PERFORMANCE.md, "The merge walk, fourth pass"). A limit that follows
 * what is live keeps the collector's work per allocated byte the same however much the kernel
 * holds, and falls back (and the heap is given back, {@code ShenandoahUncommitDelay}) when the
 * kernel forgets.
 *
 * <p>Only under Shenandoah or ZGC, which collect to the soft limit, and where the running JVM
 * lets it change ({@code SoftMaxHeapSize} manageable); elsewhere {@link #install} does nothing.
 */
final class HeapHeadroom implements NotificationListener {
  private static final Logger LOG = LoggerFactory.getLogger(HeapHeadroom.class);
  private static final String OPTION = "SoftMaxHeapSize";
  /** The beans of whole collections of Shenandoah and ZGC, which collect to the soft limit. */
  private static final Set<String> CYCLES =
      Set.of("Shenandoah Cycles", "ZGC Cycles", "ZGC Major Cycles");
  /**
   * Room above twice the live heap: the collector's evacuation reserve (5% of a 1 GiB heap) and
   * its free threshold. The second live-sized part is what may be allocated before the next
   * collection, so the collector's work per allocated byte does not grow with what is live
   * (1.5 times left it 60-97 ticks of CPU per walk of 200 000 entries, twice 16-45).
   */
  static final long MARGIN = 64L << 20;

  private final HotSpotDiagnosticMXBean vm;
  private final long floor;
  private final long ceiling;
  private final Set<String> heapPools = new HashSet<>();
  private long current;

  private HeapHeadroom(HotSpotDiagnosticMXBean vm, long floor, long ceiling) {
    this.vm = vm;
    this.floor = floor;
    this.ceiling = ceiling;
    this.current = floor;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heapPools.add(pool.getName());
      }
    }
  }

  /**
   * Starts following collections, if this JVM's soft limit can change and is set below its largest
   * heap.
   *
   * Once per JVM: later calls answer whether the first one follows them.
   *
   * @return whether it follows them
   */
  static synchronized boolean install() {
    if (following == null) {
      try {
        following = follow();
      } catch (RuntimeException | LinkageError e) { // a JVM without these management beans
        LOG.info("heap: the soft limit stays as set ({})", e.toString());
        following = false;
      }
    }
    return following;
  }

  /** Whether {@link #install} follows collections; null before it was called. */
  private static Boolean following;

  private static boolean follow() {
    HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    long max = Runtime.getRuntime().maxMemory();
    long floor;
    try {
      VMOption option = vm.getVMOption(OPTION);
      floor = Long.parseLong(option.getValue());
      if (!option.isWriteable() || floor <= 0 || floor >= max) {
        return false;
      }
    } catch (IllegalArgumentException e) { // no such option in this JVM
      return false;
    }
    HeapHeadroom headroom = new HeapHeadroom(vm, floor, max - max / 10);
    boolean listening = false;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      // Only the whole collections of the collectors that honour the soft limit: their "Pauses"
      // beans report pauses, after which nothing was freed yet, and a generational collector's
      // young collections leave the old generation's garbage counted as in use.
      if (gc instanceof NotificationEmitter emitter && CYCLES.contains(gc.getName())) {
        emitter.addNotificationListener(headroom, null, null);
        listening = true;
      }
    }
    if (listening) {
      LOG.info("heap: soft limit {} MiB, raised to twice the live heap plus {} MiB when that is more",
          floor >> 20, MARGIN >> 20);
    }
    return listening;
  }

  /**
   * The soft limit for {@code live} bytes in use after a collection: twice that plus
   * {@link #MARGIN}, between {@code floor} and {@code ceiling}.
   */
  static long limitFor(long live, long floor, long ceiling) {
    return Math.max(floor, Math.min(ceiling, 2 * live + MARGIN));
  }

  @Override
  public void handleNotification(Notification notification, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
      return;
    }
    try {
      GarbageCollectionNotificationInfo info =
          GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
      long live = 0;
      for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
        if (heapPools.contains(pool.getKey())) {
          live += pool.getValue().getUsed();
        }
      }
      adjust(live);
    } catch (RuntimeException e) { // the limit stays as it is; the next collection tries again
      LOG.debug("heap: cannot read a collection's report: {}", e.toString());
    }
  }

  /**
   * Sets the limit for {@code live}, unless it is within an eighth of the one set (back at the
   * floor exactly, though: the limit the service was started with is the one it idles at).
   */
  private synchronized void adjust(long live) {
    long wanted = limitFor(live, floor, ceiling);
    if (wanted == current || (wanted != floor && Math.abs(wanted - current) <= current / 8)) {
      return;
    }
    try {
      vm.setVMOption(OPTION, Long.toString(wanted));
      LOG.debug("heap: {} MiB live after a collection, soft limit {} -> {} MiB", live >> 20,
          current >> 20, wanted >> 20);
      current = wanted;
    } catch (IllegalArgumentException e) {
      LOG.debug("heap: cannot set the soft limit to {}: {}", wanted, e.getMessage());
    }
  }
}
