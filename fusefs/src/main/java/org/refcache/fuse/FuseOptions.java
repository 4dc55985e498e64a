package org.refcache.fuse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the FUSE view is mounted. {@link #defaults()} is what the daemon uses; the other values exist
 * for tests and for operators who measure.
 *
 * <p>Threads: the kernel transport runs {@link #KERNEL_THREADS} workers; libfuse 2.9's
 * multi-threaded loop (which jnr-fuse always runs, it never passes {@code -s}) starts workers on
 * demand and keeps up to 10 idle ones. {@code debug} and {@code autoUnmount} are libfuse's and
 * apply to that transport only.
 *
 * @param debug           libfuse's {@code -d}: every request is traced on the daemon's stderr
 * @param entryTimeout    how long the kernel may cache a name lookup ({@code entry_timeout})
 * @param attrTimeout     how long the kernel may cache attributes ({@code attr_timeout})
 * @param autoUnmount     let {@code fusermount} unmount when the process dies, even by SIGKILL
 *                        ({@code auto_unmount}), so a crash leaves no dead mount behind
 * @param leaseCacheSize  how many refs keep their lease open while no file of theirs is open
 * @param mountTimeout    how long {@link FuseMount#mount} waits for the mount to answer
 * @param unmountTimeout  how long {@link FuseMount#close} waits for the loop to stop after the
 *                        unmount (a busy mount is detached lazily and may outlive it)
 * @param extraOptions    more {@code -o} options, appended as given
 * @param transport       how requests reach the view: the kernel's FUSE device directly, or
 *                        through libfuse 2.9 (see {@link Transport})
 * @param privileges      whether setuid bits and device nodes in refs take effect through the
 *                        view ({@link MountPrivileges#NONE}, {@code nosuid,nodev}, unless asked)
 * @param opensWithoutRequests the kernel transport answers the first OPEN with ENOSYS, so the
 *                        kernel opens and closes files without a request and files are read and
 *                        written by node (the default; without it: passthrough, and a writing
 *                        open of an unchanging file refused at the open; docs/ARCHITECTURE.md)
 * @param uring           the kernel transport asks for FUSE over io_uring (Linux 6.14+ with the
 *                        module parameter {@code fuse.enable_uring=1}); without it from the kernel
 *                        the mount stays on {@code /dev/fuse} (see {@link #DEFAULT_URING})
 */
public record FuseOptions(boolean debug, Duration entryTimeout, Duration attrTimeout,
                          boolean autoUnmount, int leaseCacheSize, Duration mountTimeout,
                          Duration unmountTimeout, List<String> extraOptions,
                          Transport transport, MountPrivileges privileges,
                          boolean opensWithoutRequests, boolean uring) {

  /** How requests reach the view. */
  public enum Transport {
    /**
     * {@code /dev/fuse} read and answered by the view itself ({@code org.refcache.fuse.kernel}):
     * one kernel inode per file (hard links included), {@code renameat2} flags, parallel lookups.
     * Needs the right to {@code mount(2)} (root); without it the mount falls back to LIBFUSE.
     */
    KERNEL,
    /** jnr-fuse over libfuse 2.9's path-based API, mounted through {@code fusermount}. */
    LIBFUSE
  }

  /**
   * Whether the daemon asks for FUSE over io_uring unless {@code REFCACHE_FUSE_URING} says
   * otherwise: yes, as it costs nothing where the kernel does not offer it (the mount stays on
   * {@code /dev/fuse}, one log line says why) and where it does it takes about a fifth of the
   * daemon's system calls and much of its CPU per request away (docs/PERFORMANCE.md, "FUSE over
   * io_uring"). Flip it here to make the device the default again.
   */
  public static final boolean DEFAULT_URING = true;

  /** Worker threads of the kernel transport: requests that block (unpacks, fsync) need spares. */
  public static final int KERNEL_THREADS = 8;

  /**
   * Names change only through the mount (the kernel updates its dentries itself) or when a ref
   * appears or goes; appearing is seen at once (no negative caching), going is seen late by at
   * most this much, and every operation inside a gone ref answers ENOENT meanwhile.
   */
  public static final Duration DEFAULT_ENTRY_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Attributes change only through the mount too, and the kernel refreshes those of the inode an
   * operation went through. Under libfuse 2.9, whose path-based API gives each hard link its own
   * kernel inode, the other names' size, mode and link count stay stale for this long after a
   * change through one name; one second (libfuse's own default) bounds that. The kernel transport
   * has one inode per file and keeps writable trees' attributes for longer (see
   * {@link #kernelAttrTimeout}); what cannot change is cached for {@link #UNCHANGING_TIMEOUT}.
   */
  public static final Duration DEFAULT_ATTR_TIMEOUT = Duration.ofSeconds(1);

  /**
   * How long the kernel transport lets the kernel keep names, attributes and listings of a tree
   * that can never change (a read-only or committed ref): until the ref goes, which the view
   * tells the kernel itself ({@code FUSE_NOTIFY_INVAL_ENTRY}); the bound only caps a missed one.
   */
  public static final Duration UNCHANGING_TIMEOUT = Duration.ofHours(1);

  /** Refs whose lease stays open without an open file (about one tree's resolution cache each). */
  public static final int DEFAULT_LEASE_CACHE_SIZE = 1024;

  public FuseOptions {
    Objects.requireNonNull(entryTimeout, "entryTimeout");
    Objects.requireNonNull(attrTimeout, "attrTimeout");
    Objects.requireNonNull(mountTimeout, "mountTimeout");
    Objects.requireNonNull(unmountTimeout, "unmountTimeout");
    if (entryTimeout.isNegative() || attrTimeout.isNegative()) {
      throw new IllegalArgumentException("negative timeout");
    }
    if (leaseCacheSize < 1) {
      throw new IllegalArgumentException("leaseCacheSize must be positive: " + leaseCacheSize);
    }
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(privileges, "privileges");
    extraOptions = List.copyOf(extraOptions);
    for (String option : extraOptions) {
      if (option.isEmpty() || option.contains(",")) {
        throw new IllegalArgumentException("one option per element, no commas: " + option);
      }
    }
  }

  /** The daemon's options: see the constants for the timeouts. */
  public static FuseOptions defaults() {
    return new FuseOptions(false, DEFAULT_ENTRY_TIMEOUT, DEFAULT_ATTR_TIMEOUT, false,
        DEFAULT_LEASE_CACHE_SIZE, Duration.ofSeconds(10), Duration.ofSeconds(5), List.of(),
        Transport.KERNEL, MountPrivileges.NONE, true, DEFAULT_URING);
  }

  /**
   * How long the kernel transport lets the kernel keep the attributes of files in writable trees:
   * as long as their names ({@link #entryTimeout}), at least {@link #attrTimeout}, or not at all
   * when {@code attrTimeout} is zero. Safe because the view is the only writer of an upper: every
   * change is a request, after which the kernel refreshes (from the reply) or drops the attributes
   * of the inode it went through, and of the directories whose entries changed; the kernel
   * transport has one inode per file, hard links included, and refs share no inodes. Without this
   * every {@code stat} of a file a build made more than a second ago is a request ({@code make},
   * {@code mvn} and compilers look at the same outputs again and again).
   */
  public Duration kernelAttrTimeout() {
    if (attrTimeout.isZero()) {
      return Duration.ZERO;
    }
    return attrTimeout.compareTo(entryTimeout) >= 0 ? attrTimeout : entryTimeout;
  }

  public FuseOptions withTimeouts(Duration entry, Duration attr) {
    return new FuseOptions(debug, entry, attr, autoUnmount, leaseCacheSize, mountTimeout,
        unmountTimeout, extraOptions, transport, privileges, opensWithoutRequests, uring);
  }

  public FuseOptions withAutoUnmount(boolean on) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, on, leaseCacheSize, mountTimeout,
        unmountTimeout, extraOptions, transport, privileges, opensWithoutRequests, uring);
  }

  public FuseOptions withLeaseCacheSize(int size) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, autoUnmount, size, mountTimeout,
        unmountTimeout, extraOptions, transport, privileges, opensWithoutRequests, uring);
  }

  public FuseOptions withExtraOptions(List<String> options) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, autoUnmount, leaseCacheSize,
        mountTimeout, unmountTimeout, options, transport, privileges, opensWithoutRequests, uring);
  }

  /** Whether setuid bits and device nodes take effect through the view (see {@link MountPrivileges}). */
  public FuseOptions withPrivileges(MountPrivileges granted) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, autoUnmount, leaseCacheSize,
        mountTimeout, unmountTimeout, extraOptions, transport, granted, opensWithoutRequests, uring);
  }

  public FuseOptions withTransport(Transport how) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, autoUnmount, leaseCacheSize,
        mountTimeout, unmountTimeout, extraOptions, how, privileges, opensWithoutRequests, uring);
  }

  /** Whether the kernel transport opens files without requests (see the record's doc). */
  public FuseOptions withOpensWithoutRequests(boolean on) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, autoUnmount, leaseCacheSize,
        mountTimeout, unmountTimeout, extraOptions, transport, privileges, on, uring);
  }

  /** Whether the kernel transport asks for FUSE over io_uring (see the record's doc). */
  public FuseOptions withUring(boolean on) {
    return new FuseOptions(debug, entryTimeout, attrTimeout, autoUnmount, leaseCacheSize,
        mountTimeout, unmountTimeout, extraOptions, transport, privileges, opensWithoutRequests, on);
  }

  /**
   * The {@code mount(2)} options of the kernel transport ({@code fd} and {@code rootmode} are the
   * session's): the same permission model as {@link #toFuseArgs}; timeouts travel in every reply
   * instead. {@code nosuid} and {@code nodev} are flags there, not options: {@link #mountFlags}.
   */
  List<String> toMountOptions() {
    List<String> options = new ArrayList<>(List.of("allow_other", "default_permissions"));
    options.addAll(extraOptions);
    return options;
  }

  /** The {@code mount(2)} flags of the kernel transport: {@code MS_NOSUID}, {@code MS_NODEV} unless granted. */
  long mountFlags() {
    return privileges.mountFlags();
  }

  /**
   * The {@code -o} options for libfuse 2.9. Why each is there:
   * <ul>
   *   <li>{@code fsname}, {@code subtype}: the mount shows as {@code refcache} of type
   *       {@code fuse.refcache} in {@code /proc/self/mounts}, which stale-mount cleanup looks for.</li>
   *   <li>{@code allow_other}, {@code default_permissions}: the daemon runs as root and serves every
   *       user; the kernel checks permissions against the attributes we report (EACCES is its).</li>
   *   <li>{@code nosuid}, {@code nodev} (or {@code suid}, {@code dev} when {@link #privileges}
   *       grant them): a setuid-root program or a device node from a layer must not give whoever
   *       reaches the mount root's rights (see {@link MountPrivileges}). libfuse would mount
   *       {@code nosuid,nodev} by itself; saying so keeps it explicit.</li>
   *   <li>{@code use_ino}: {@code st_ino} (and readdir's {@code d_ino}) come from the real files.</li>
   *   <li>No {@code hard_remove}: with it, {@code fstat} of a file unlinked while open fails.
   *       Without it libfuse renames such a file to {@code .fuse_hidden*} until it is closed; the
   *       view takes that rename as the unlink it stands for (see {@code libfuse.HiddenNames}).</li>
   *   <li>{@code atomic_o_trunc}: {@code open(O_TRUNC)} arrives as one request, so a lower file
   *       being truncated is copied up without its content instead of copied whole first.</li>
   *   <li>{@code big_writes}, {@code max_write}, {@code max_read}: 128 KiB requests, libfuse 2.9's
   *       largest, instead of 4 KiB writes.</li>
   *   <li>{@code negative_timeout=0}: a new ref ID must show up at once under {@code /refs}.</li>
   *   <li>No {@code kernel_cache}: page caching across opens is decided per open
   *       ({@code keep_cache} for trees that cannot change), see the package doc.</li>
   * </ul>
   */
  public List<String> toFuseArgs() {
    List<String> options = new ArrayList<>(List.of(
        "fsname=refcache", "subtype=refcache", "allow_other", "default_permissions",
        privileges.setuid() ? "suid" : "nosuid", privileges.devices() ? "dev" : "nodev",
        "use_ino", "atomic_o_trunc", "big_writes", "max_write=131072", "max_read=131072",
        "entry_timeout=" + seconds(entryTimeout), "attr_timeout=" + seconds(attrTimeout),
        "negative_timeout=0"));
    if (autoUnmount) {
      options.add("auto_unmount");
    }
    options.addAll(extraOptions);
    return List.of("-o", String.join(",", options));
  }

  private static String seconds(Duration d) {
    return d.getNano() == 0
        ? Long.toString(d.getSeconds())
        : java.math.BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
  }
}
