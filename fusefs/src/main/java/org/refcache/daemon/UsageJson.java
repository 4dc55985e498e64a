package org.refcache.daemon;

import org.refcache.protocol.ControlProtocol;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.refcache.core.cache.GcResult;
import org.refcache.core.cache.PruneResult;
import org.refcache.core.cache.UsageInfo;
import org.refcache.core.cache.UsageTotals;

/**
 * Disk usage and prune on the wire: a {@link UsageInfo} as an object with BuildKit's field names
 * ({@code id, mutable, inUse, size, createdAt, lastUsedAt, usageCount, parents, description,
 * recordType, shared}; sizes in bytes, times in ISO-8601, a never used record's {@code lastUsedAt}
 * null), and the summaries.
 */
public final class UsageJson {
  private UsageJson() {}

  public static ObjectNode of(UsageInfo u) {
    ObjectNode n = ControlProtocol.object();
    n.put("id", u.id());
    n.put("mutable", u.mutable());
    n.put("inUse", u.inUse());
    n.put("size", u.size());
    n.put("createdAt", text(u.createdAt()));
    n.put("lastUsedAt", text(u.lastUsedAt()));
    n.put("usageCount", u.usageCount());
    u.parents().forEach(n.putArray("parents")::add);
    n.put("description", u.description());
    n.put("recordType", u.recordType());
    n.put("shared", u.shared());
    return n;
  }

  public static ObjectNode of(UsageTotals t) {
    ObjectNode n = ControlProtocol.object();
    n.put("rows", t.rows());
    n.put("shared", t.shared());
    n.put("private", t.privateBytes());
    n.put("reclaimable", t.reclaimable());
    n.put("total", t.total());
    return n;
  }

  public static ObjectNode of(PruneResult r) {
    ObjectNode n = ControlProtocol.object();
    n.put("removed", r.removed());
    n.put("reclaimed", r.reclaimedBytes());
    n.put("keepBytes", r.keepBytes());
    n.put("totalBefore", r.totalBefore());
    n.put("cancelled", r.cancelled());
    GcResult gc = r.gc();
    ObjectNode g = n.putObject("gc");
    g.put("freed", gc.freedBytes());
    g.put("blobs", gc.blobs());
    g.put("layers", gc.layers());
    g.put("uppers", gc.uppers());
    g.put("kept", gc.kept());
    return n;
  }

  private static String text(Instant t) {
    return t == null ? null : t.toString();
  }
}
