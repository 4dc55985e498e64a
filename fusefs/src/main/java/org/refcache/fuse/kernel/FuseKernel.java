package org.refcache.fuse.kernel;

/**
 * The Linux FUSE protocol ({@code <linux/fuse.h>}, version 7.38): the opcodes, flags and structure
 * sizes this transport speaks. Structures are little-endian and laid out as in the header; the
 * offsets used by {@link Request} and {@link Reply} callers are written next to each structure.
 */
public final class FuseKernel {

  public static final int MAJOR = 7;
  /** The highest minor version spoken; the kernel's own may be higher (it then adapts to ours). */
  public static final int MINOR = 38;
  /** The minor version that brought passthrough (answered when both sides can do it). */
  public static final int PASSTHROUGH_MINOR = 40;
  public static final long ROOT_ID = 1;

  public static final int IN_HEADER_SIZE = 40;
  public static final int OUT_HEADER_SIZE = 16;

  // ---- opcodes ----
  public static final int LOOKUP = 1;
  public static final int FORGET = 2;
  public static final int GETATTR = 3;
  public static final int SETATTR = 4;
  public static final int READLINK = 5;
  public static final int SYMLINK = 6;
  public static final int MKNOD = 8;
  public static final int MKDIR = 9;
  public static final int UNLINK = 10;
  public static final int RMDIR = 11;
  public static final int RENAME = 12;
  public static final int LINK = 13;
  public static final int OPEN = 14;
  public static final int READ = 15;
  public static final int WRITE = 16;
  public static final int STATFS = 17;
  public static final int RELEASE = 18;
  public static final int FSYNC = 20;
  public static final int SETXATTR = 21;
  public static final int GETXATTR = 22;
  public static final int LISTXATTR = 23;
  public static final int REMOVEXATTR = 24;
  public static final int FLUSH = 25;
  public static final int INIT = 26;
  public static final int OPENDIR = 27;
  public static final int READDIR = 28;
  public static final int RELEASEDIR = 29;
  public static final int FSYNCDIR = 30;
  public static final int ACCESS = 34;
  public static final int CREATE = 35;
  public static final int INTERRUPT = 36;
  public static final int DESTROY = 38;
  public static final int BATCH_FORGET = 42;
  public static final int FALLOCATE = 43;
  public static final int READDIRPLUS = 44;
  public static final int RENAME2 = 45;

  // ---- INIT flags ----
  public static final int ASYNC_READ = 1;
  public static final int ATOMIC_O_TRUNC = 1 << 3;
  public static final int BIG_WRITES = 1 << 5;
  public static final int DO_READDIRPLUS = 1 << 13;
  /** The kernel chooses between READDIR and READDIRPLUS by whether entries get looked up. */
  public static final int READDIRPLUS_AUTO = 1 << 14;
  public static final int PARALLEL_DIROPS = 1 << 18;
  public static final int MAX_PAGES = 1 << 22;
  public static final int CACHE_SYMLINKS = 1 << 23;
  /**
   * The server clears setuid/setgid on writes, truncations and {@code O_TRUNC} opens by callers
   * without {@code CAP_FSETID} when the request says so ({@link #WRITE_KILL_SUIDGID},
   * {@link #FATTR_KILL_SUIDGID}, {@link #OPEN_KILL_SUIDGID}); in exchange the kernel marks the
   * mount {@code SB_NOSEC} and stops asking for {@code security.capability} before every write.
   */
  public static final int HANDLE_KILLPRIV_V2 = 1 << 28;
  /** The 64-bit flags: flags2 in fuse_init_in and fuse_init_out is valid. */
  public static final int INIT_EXT = 1 << 30;
  /** flags2 bit of FUSE_PASSTHROUGH (1 << 37): reads and writes go to a backing file. */
  public static final int PASSTHROUGH_FLAG2 = 1 << 5;

  /**
   * flags2 bit of FUSE_OVER_IO_URING (1 << 41, Linux 6.14): requests and replies through ring
   * entries the server registers on an io_uring ({@link RingWorker}). Offered only while the
   * module parameter {@code fuse.enable_uring} is on.
   */
  public static final int OVER_IO_URING_FLAG2 = 1 << 9;
  /** {@code cmd_op} of a ring command: register an entry and fetch a request into it. */
  static final int URING_CMD_REGISTER = 1;
  /** {@code cmd_op}: commit the reply in the entry and fetch the next request. */
  static final int URING_CMD_COMMIT_AND_FETCH = 2;
  /**
   * struct fuse_uring_req_header: in_out[128] (fuse_in_header, then fuse_out_header), op_in[128]
   * (the opcode's first argument), fuse_uring_ent_in_out {flags, commit_id, payload_sz, padding,
   * reserved}.
   */
  static final int URING_OP_IN = 128;
  static final int URING_OP_IN_SIZE = 128;
  static final int URING_ENT_IN_OUT = 256;
  static final int URING_PAYLOAD_SZ = URING_ENT_IN_OUT + 16;
  static final int URING_HEADER_SIZE = 288;

  // ---- SETATTR valid bits (fuse_setattr_in: valid 0, fh 8, size 16, lock_owner 24, atime 32,
  //      mtime 40, ctime 48, atimensec 56, mtimensec 60, ctimensec 64, mode 68, uid 76, gid 80) ----
  public static final int FATTR_MODE = 1;
  public static final int FATTR_UID = 1 << 1;
  public static final int FATTR_GID = 1 << 2;
  public static final int FATTR_SIZE = 1 << 3;
  public static final int FATTR_ATIME = 1 << 4;
  public static final int FATTR_MTIME = 1 << 5;
  public static final int FATTR_FH = 1 << 6;
  public static final int FATTR_ATIME_NOW = 1 << 7;
  public static final int FATTR_MTIME_NOW = 1 << 8;
  public static final int FATTR_KILL_SUIDGID = 1 << 11;

  /** fuse_write_in.write_flags: the writer lacks {@code CAP_FSETID} (see HANDLE_KILLPRIV_V2). */
  public static final int WRITE_KILL_SUIDGID = 1 << 2;
  /** fuse_open_in/fuse_create_in.open_flags: an {@code O_TRUNC} open by such a caller. */
  public static final int OPEN_KILL_SUIDGID = 1;

  /** fuse_getattr_in.getattr_flags: {@code fh} names an open file (fstat). */
  public static final int GETATTR_FH = 1;
  /** fuse_fsync_in.fsync_flags. */
  public static final int FSYNC_FDATASYNC = 1;

  // ---- fuse_open_out.open_flags ----
  public static final int FOPEN_KEEP_CACHE = 1 << 1;
  /** On OPEN: reads and writes go straight to the backing file of fuse_open_out.backing_id. */
  public static final int FOPEN_PASSTHROUGH = 1 << 7;
  /** ioctl FUSE_DEV_IOC_BACKING_OPEN: _IOW(229, 1, struct fuse_backing_map {fd, flags, pad}). */
  public static final long IOC_BACKING_OPEN = 0x4010E501L;
  /** ioctl FUSE_DEV_IOC_BACKING_CLOSE: _IOW(229, 2, uint32_t). */
  public static final long IOC_BACKING_CLOSE = 0x4004E502L;
  /** On OPENDIR: the kernel may keep the listing in its page cache (with KEEP_CACHE). */
  public static final int FOPEN_CACHE_DIR = 1 << 3;

  /**
   * fuse_out_header.error of a notification: drop an inode's cached attributes and pages, a
   * directory's cached listing with them (fuse_notify_inval_inode_out: ino, off, len).
   */
  public static final int NOTIFY_INVAL_INODE = 2;
  /** fuse_out_header.error of a notification: drop a cached name (fuse_notify_inval_entry_out). */
  public static final int NOTIFY_INVAL_ENTRY = 3;

  /** fuse_attr: 88 bytes. */
  public static final int ATTR_SIZE = 88;
  /** fuse_entry_out: nodeid, generation, entry_valid, attr_valid, their nsecs, then fuse_attr. */
  public static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
  /** fuse_attr_out: attr_valid, attr_valid_nsec, dummy, then fuse_attr. */
  public static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
  public static final int OPEN_OUT_SIZE = 16;
  /** fuse_kstatfs. */
  public static final int STATFS_OUT_SIZE = 80;
  /** fuse_write_in: fh, offset, size, write_flags, lock_owner, flags, padding; data follows. */
  public static final int WRITE_IN_SIZE = 40;
  /** fuse_dirent without its name: ino, off, namelen, type. */
  public static final int DIRENT_HEADER_SIZE = 24;

  /** {@code ino} of a directory entry whose number is not known ({@code .} and {@code ..}). */
  public static final long UNKNOWN_INO = 0xffffffffL;

  private FuseKernel() {
  }

  /** Whether the kernel waits for no reply to {@code opcode}. */
  static boolean noReply(int opcode) {
    return opcode == FORGET || opcode == BATCH_FORGET || opcode == INTERRUPT;
  }

  /** The name {@code <linux/fuse.h>} gives {@code opcode} without {@code FUSE_}, or its number. */
  public static String opcodeName(int opcode) {
    return switch (opcode) {
      case LOOKUP -> "LOOKUP";
      case FORGET -> "FORGET";
      case GETATTR -> "GETATTR";
      case SETATTR -> "SETATTR";
      case READLINK -> "READLINK";
      case SYMLINK -> "SYMLINK";
      case MKNOD -> "MKNOD";
      case MKDIR -> "MKDIR";
      case UNLINK -> "UNLINK";
      case RMDIR -> "RMDIR";
      case RENAME -> "RENAME";
      case LINK -> "LINK";
      case OPEN -> "OPEN";
      case READ -> "READ";
      case WRITE -> "WRITE";
      case STATFS -> "STATFS";
      case RELEASE -> "RELEASE";
      case FSYNC -> "FSYNC";
      case SETXATTR -> "SETXATTR";
      case GETXATTR -> "GETXATTR";
      case LISTXATTR -> "LISTXATTR";
      case REMOVEXATTR -> "REMOVEXATTR";
      case FLUSH -> "FLUSH";
      case INIT -> "INIT";
      case OPENDIR -> "OPENDIR";
      case READDIR -> "READDIR";
      case RELEASEDIR -> "RELEASEDIR";
      case FSYNCDIR -> "FSYNCDIR";
      case ACCESS -> "ACCESS";
      case CREATE -> "CREATE";
      case INTERRUPT -> "INTERRUPT";
      case DESTROY -> "DESTROY";
      case BATCH_FORGET -> "BATCH_FORGET";
      case FALLOCATE -> "FALLOCATE";
      case READDIRPLUS -> "READDIRPLUS";
      case RENAME2 -> "RENAME2";
      default -> "opcode " + opcode;
    };
  }
}
