#!/usr/bin/perl
# POSIX conformance checks for the tree of a writable ref, in the spirit of pjdfstest (written
# from scratch; nothing is copied from it). PosixConformanceTest runs this script in a plain ext4
# directory and in the same tree served through the FUSE view, as root and as an unprivileged
# user, and requires the two outputs to be identical: ext4's result is the bar.
#
#   posix.pl build LO HI FLAT UPPER
#                        build the starting tree (LAYERS below): the bottom and top lower
#                        layers of the union, the flattened tree (what the union must show) for
#                        the ext4 run, and the attributes of the empty upper's root
#   posix.pl root DIR    the checks run as root (they end by preparing the user's checks)
#   posix.pl user DIR    the checks run as an unprivileged user (uid 65534, gid 65534)
#   posix.pl final DIR   as root: every entry of the tree at the end (type, mode, nlink, owner,
#                        size, content checksum, link target, xattr names, whether mtime moved)
#
# Every check prints one line "<id> <what> -> <result>": "ok", an errno name, or observed values.
# Nothing absolute (inode numbers, times of day) is printed, so the output is deterministic.
# Times: an entry the script made gets known past times (utimensat) before the operation; entries
# of the lower layers have the test's fixed time OLD; "changed"/"same" compares exact nanoseconds.
# ctime cannot be set, so before an operation the script waits until the filesystem clock (the
# coarse clock) has passed the entry's ctime: no sleep, at most one clock tick.
#
# Core Perl only (POSIX, Fcntl, Errno, File::Spec, Time::HiRes): statx, utimensat, renameat2,
# mknod and the l*xattr calls go through syscall(); the getfattr/setfattr tools are used once.
use strict;
use warnings;
use Errno ();
use Fcntl qw(:DEFAULT :mode SEEK_SET SEEK_CUR SEEK_END);
use File::Spec ();
use POSIX ();
use Time::HiRes ();

# ---- system calls ---------------------------------------------------------------------------------

my %NR = (statx => 332, utimensat => 280, renameat2 => 316, mknod => 133, lsetxattr => 189,
          lgetxattr => 192, llistxattr => 195, lremovexattr => 198);
if ((POSIX::uname())[4] ne 'x86_64') {
  require 'syscall.ph';    ## no critic: Perl's own header translation, for other machines
  no strict 'refs';
  $NR{$_} = &{"main::SYS_$_"}() for keys %NR;
}
use constant { AT_FDCWD => -100, AT_SYMLINK_NOFOLLOW => 0x100, UTIME_NOW => (1 << 30) - 1,
               UTIME_OMIT => (1 << 30) - 2, RENAME_NOREPLACE => 1, RENAME_EXCHANGE => 2,
               XATTR_CREATE => 1, XATTR_REPLACE => 2 };

# The lower layers' fixed time (Files2.OLD in the test) and the script's own past times.
use constant { OLD => '1580702706.123456789', PAST_A => [1000000000, 111111111],
               PAST_M => [1100000000, 222222222] };

my %ERRNAME;
for my $name (sort keys %!) {
  my $value = eval { Errno->can($name)->() };
  $ERRNAME{$value} //= $name if defined $value;
}

sub errname { my $e = @_ ? shift : $! + 0; return $ERRNAME{$e} // "errno$e" }

# "ok" when the operation succeeded, else the errno it left.
sub r { return $_[0] ? 'ok' : errname() }
# For syscall(): 0 or more is success.
sub rs { return $_[0] >= 0 ? 'ok' : errname() }
# A string that syscall() passes as a pointer, never as a number.
sub str { return '' . $_[0] }

# ---- output --------------------------------------------------------------------------------------

my %SEEN;
sub out {
  my ($id, $what, $result) = @_;
  die "duplicate check id $id\n" if $SEEN{$id}++;
  print "$id $what -> $result\n";
}

# Bytes as text: printable ASCII stays, anything else is \xHH.
sub esc {
  my $s = shift;
  return 'undef' unless defined $s;
  $s =~ s/([^\x20-\x5b\x5d-\x7e])/sprintf('\\x%02x', ord $1)/ge;
  return $s;
}

# Setup steps that must work; a failure is printed (it shows up in the comparison) and the run
# goes on, so one broken step does not hide every later check.
sub must {
  my ($ok, $what) = @_;
  print "!setup $what -> " . errname() . "\n" unless $ok;
  return $ok;
}

# ---- attributes ----------------------------------------------------------------------------------

sub sx {
  my ($path, $follow) = @_;
  my $buf = "\0" x 256;
  my $rc = syscall($NR{statx}, AT_FDCWD, str($path), $follow ? 0 : AT_SYMLINK_NOFOLLOW, 0x7ff,
                   $buf);
  return undef if $rc != 0;
  my ($mask, $blksize, $attrs, $nlink, $uid, $gid, $mode) = unpack('L L Q L L L S', $buf);
  my ($ino, $size) = unpack('x32 Q Q', $buf);
  my %t;
  for (['a', 64], ['c', 96], ['m', 112]) {
    my ($sec, $nsec) = unpack("x$_->[1] q L", $buf);
    $t{$_->[0]} = sprintf('%d.%09d', $sec, $nsec);
  }
  my ($rmaj, $rmin) = unpack('x128 L L', $buf);
  return { mode => $mode, perm => $mode & 07777, nlink => $nlink, uid => $uid, gid => $gid,
           ino => $ino, size => $size, a => $t{a}, m => $t{m}, c => $t{c},
           rdev => "$rmaj:$rmin" };
}

sub tname {
  my $m = shift;
  return S_ISREG($m) ? 'file' : S_ISDIR($m) ? 'dir' : S_ISLNK($m) ? 'symlink'
       : S_ISFIFO($m) ? 'fifo' : S_ISCHR($m) ? 'chr' : S_ISBLK($m) ? 'blk'
       : S_ISSOCK($m) ? 'sock' : 'unknown';
}

# "file 0644 n1 0:0 s5" (size for files and symlinks, rdev for devices), or the lstat errno.
sub desc {
  my ($path, $follow) = @_;
  my $s = sx($path, $follow) or return errname();
  my $d = sprintf('%s %04o n%d %d:%d', tname($s->{mode}), $s->{perm}, $s->{nlink}, $s->{uid},
                  $s->{gid});
  $d .= " s$s->{size}" if S_ISREG($s->{mode}) || S_ISLNK($s->{mode});
  $d .= " rdev$s->{rdev}" if S_ISCHR($s->{mode}) || S_ISBLK($s->{mode});
  return $d;
}

sub mode_of { my $s = sx(@_) or return errname(); return sprintf('%04o', $s->{perm}) }
sub nlink_of { my $s = sx(@_) or return errname(); return "n$s->{nlink}" }
sub owner_of { my $s = sx(@_) or return errname(); return "$s->{uid}:$s->{gid}" }
sub size_of { my $s = sx(@_) or return errname(); return "s$s->{size}" }
sub times_of { my $s = sx(@_) or return errname(); return "a=$s->{a} m=$s->{m}" }
sub mtime_of { my $s = sx(@_) or return errname(); return $s->{m} }

# Whether two names are one file (same inode), without printing the number.
sub same_file {
  my ($a, $b) = @_;
  my $x = sx($a) or return errname();
  my $y = sx($b) or return errname();
  return $x->{ino} == $y->{ino} ? 'same-inode' : 'other-inode';
}

# ---- times ---------------------------------------------------------------------------------------

# utimensat(AT_FDCWD, path, times, flags); a time is [sec, nsec], undef for UTIME_OMIT, 'now' for
# UTIME_NOW; no times at all (both undef and $null) is the NULL pointer.
sub utimens {
  my ($path, $atime, $mtime, $nofollow, $null) = @_;
  my $times = 0;
  unless ($null) {
    my @t = map { !defined $_ ? (0, UTIME_OMIT) : !ref $_ ? (0, UTIME_NOW) : @$_ } ($atime, $mtime);
    $times = pack('q q q q', @t);
  }
  return syscall($NR{utimensat}, AT_FDCWD, str($path), $times,
                 $nofollow ? AT_SYMLINK_NOFOLLOW : 0);
}

# Gives an entry made by the script the known past times (never call it on a lower entry: that
# would copy it up before the operation under test).
sub past {
  for my $path (@_) {
    must(utimens($path, PAST_A, PAST_M, 1) == 0, "utimensat $path");
  }
}

my $COARSE = eval { Time::HiRes::CLOCK_REALTIME_COARSE() } // Time::HiRes::CLOCK_REALTIME();

# Snapshots of (mtime, ctime) of the given entries, taken once the clock has passed every ctime,
# so that any change made afterwards gets a later timestamp.
sub watch {
  my %snap;
  my $latest = 0;
  for my $path (@_) {
    my $s = sx($path);
    $snap{$path} = $s ? [$s->{m}, $s->{c}] : undef;
    $latest = $s->{c} if $s && $s->{c} > $latest;
  }
  1 while Time::HiRes::clock_gettime($COARSE) <= $latest + 0.000002;
  return \%snap;
}

# "m=changed c=same" for one watched entry.
sub delta {
  my ($snap, $path, $as) = @_;
  my $before = $snap->{$path} or return 'unwatched';
  my $s = sx($as // $path) or return errname();
  return 'm=' . ($s->{m} eq $before->[0] ? 'same' : 'changed')
       . ' c=' . ($s->{c} eq $before->[1] ? 'same' : 'changed');
}
sub mdelta { my $d = delta(@_); $d =~ s/ c=.*//; return $d }
sub cdelta { my $d = delta(@_); $d =~ s/m=\S+ //; return $d }

# ---- content -------------------------------------------------------------------------------------

sub put {
  my ($path, $data, $mode) = @_;
  sysopen(my $fh, $path, O_WRONLY | O_CREAT | O_TRUNC, $mode // 0644) or return errname();
  my $n = syswrite($fh, $data);
  my $err = defined $n ? undef : errname();
  close($fh) or $err //= errname();
  return $err // 'ok';
}

sub slurp {
  my ($path) = @_;
  sysopen(my $fh, $path, O_RDONLY) or return (undef, errname());
  my $data = '';
  while (1) {
    my $n = sysread($fh, my $chunk, 65536);
    return (undef, errname()) unless defined $n;
    last if $n == 0;
    $data .= $chunk;
  }
  close($fh);
  return ($data, 'ok');
}

# The content as text, or the errno of reading it.
sub cat { my ($data, $rc) = slurp(@_); return defined $data ? '"' . esc($data) . '"' : $rc }

# Length and a checksum of the content (for big files).
sub sum {
  my ($data, $rc) = slurp(@_);
  return $rc unless defined $data;
  return sprintf('len%d sum%08x', length $data, unpack('%32C*', $data) + 0);
}

sub zeros {
  my ($path, $from, $to) = @_;
  my ($data, $rc) = slurp($path);
  return $rc unless defined $data;
  my $part = substr($data, $from, $to - $from);
  return length($part) == $to - $from && $part !~ /[^\0]/ ? 'zeros' : 'not-zeros';
}

# Sorted names of a directory (without . and ..), or the errno of opendir.
sub ls {
  my ($dir) = @_;
  opendir(my $dh, $dir) or return errname();
  my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir($dh);
  closedir($dh);
  return '[' . join(',', map { esc($_) } @names) . ']';
}

sub mk {
  my ($path, $mode) = @_;
  return must(mkdir($path, $mode // 0755), "mkdir $path");
}

sub rmtree {
  my ($path) = @_;
  my $s = sx($path) or return;
  if (S_ISDIR($s->{mode})) {
    opendir(my $dh, $path) or return;
    my @names = grep { $_ ne '.' && $_ ne '..' } readdir($dh);
    closedir($dh);
    rmtree("$path/$_") for @names;
    rmdir($path);
  } else {
    unlink($path);
  }
}

# ---- extended attributes -------------------------------------------------------------------------

sub setx {
  my ($path, $name, $value, $flags) = @_;
  my $v = str($value);
  return rs(syscall($NR{lsetxattr}, str($path), str($name), $v, length $v, $flags // 0));
}

sub getx {
  my ($path, $name, $size) = @_;
  my $buf = "\0" x 70000;
  my $n = syscall($NR{lgetxattr}, str($path), str($name), $buf, $size // 70000);
  return errname() if $n < 0;
  return "len$n" if defined $size && $size == 0;
  return '"' . esc(substr($buf, 0, $n)) . '"';
}

sub listx {
  my ($path) = @_;
  my $buf = "\0" x 70000;
  my $n = syscall($NR{llistxattr}, str($path), $buf, 70000);
  return errname() if $n < 0;
  my @names = sort grep { length } split /\0/, substr($buf, 0, $n);
  return '[' . join(',', @names) . ']';
}

sub rmx {
  my ($path, $name) = @_;
  return rs(syscall($NR{lremovexattr}, str($path), str($name)));
}

# ---- other calls ---------------------------------------------------------------------------------

sub renameat2 {
  my ($from, $to, $flags) = @_;
  return rs(syscall($NR{renameat2}, AT_FDCWD, str($from), AT_FDCWD, str($to), $flags));
}

sub makedev { my ($maj, $min) = @_; return (($maj & 0xfff) << 8) | ($min & 0xff) }

sub mknod {
  my ($path, $mode, $dev) = @_;
  return rs(syscall($NR{mknod}, str($path), $mode, $dev // 0));
}

sub fstat_desc {
  my ($fh) = @_;
  my @s = stat($fh) or return errname();
  return sprintf('%s %04o n%d s%d', tname($s[2]), $s[2] & 07777, $s[3], $s[7]);
}

# Checks that read attributes of another name of a hard-linked file right after a change through
# one name; run once more, after the kernel's attribute timeout, at the end of the root phase.
my @LATER;
sub later { push @LATER, shift }

# ==================================================================================================
# The starting tree: two lower layers. One entry a line: LAYER KIND PATH MODE OWNER [ARG]
#   LAYER  lo (bottom), hi (top), both (a directory in both, same attributes)
#   KIND   dir, file (ARG: content; \n \s(space) \xHH \\ escapes), fill (ARG: size; a byte
#          pattern), symlink (ARG: target, same escapes), fifo, chr (ARG: major,minor),
#          link (ARG: an existing path of the same layer; MODE OWNER are -), whiteout, opaque
#          (a directory hiding the layers below), xattr (ARG: name=value on an entry of the layer)
# Parents are listed before children, in every layer that has them. "posix.pl build" makes each
# layer, and the flattened tree (what the union must show) for the ext4 run, by applying the bottom
# layer, then the top one with the union's rules; every entry gets the time OLD.
# ==================================================================================================
my $LAYERS = <<'END';
both dir L 0755 0:0

both dir L/open 0755 0:0
lo file L/open/f 0644 0:0 lower\sfile\n
lo file L/open/trunc 0644 0:0 0123456789
hi file L/open/empty 0644 0:0
lo file L/open/app 0644 0:0 12345
hi file L/open/rw 0644 0:0 abcdef
lo file L/open/keep 0644 0:0 keep-me
lo dir L/open/dir 0755 0:0
lo symlink L/open/dangling - 0:0 nowhere/at/all
lo symlink L/open/dangling2 - 0:0 made-by-open
lo symlink L/open/tofile - 0:0 keep
lo file L/open/wlink-target 0644 0:0 target

both dir L/mk 0755 0:0
lo dir L/mk/d1 0755 0:0
lo dir L/mk/d1/sub 0755 0:0
hi dir L/mk/d2 0755 0:0
lo file L/mk/file 0644 0:0 x
lo symlink L/mk/sym - 0:0 nowhere
hi fifo L/mk/fifo 0644 0:0
lo dir L/mk/sgid 2775 0:100

both dir L/chmod 0755 0:0
lo file L/chmod/f 0644 0:0 chmod-me
hi file L/chmod/f2 0644 0:0 f2
lo file L/chmod/suid 0755 0:0 x
lo file L/chmod/ino 0644 0:0 ino
both dir L/chmod/d 0755 0:0
lo file L/chmod/d/child 0644 0:0 child
hi file L/chmod/d/child2 0644 0:0 child2
lo dir L/chmod/p 0755 0:0
lo file L/chmod/p/child 0644 0:0 child
lo symlink L/chmod/link - 0:0 f2
lo fifo L/chmod/fifo 0644 0:0

both dir L/chown 0755 0:0
lo file L/chown/f 0644 0:0 chown-me
lo file L/chown/suid 4755 0:0 x
hi file L/chown/sgid 2755 0:0 x
lo file L/chown/sgidnx 2745 0:0 x
lo dir L/chown/d 6755 0:0
lo symlink L/chown/link - 0:0 f
lo symlink L/chown/link2 - 0:0 dir/c
lo dir L/chown/dir 0755 0:0
lo file L/chown/dir/c 0644 0:0 c

both dir L/link 0755 0:0
lo file L/link/f 0644 0:0 linked-content
hi file L/link/g 0640 0:0 g
lo dir L/link/d 0755 0:0
lo file L/link/hl1 0644 0:0 pair
lo link L/link/hl2 - - L/link/hl1
lo symlink L/link/sym - 0:0 f

both dir L/unlink 0755 0:0
lo file L/unlink/f 0644 0:0 f
hi file L/unlink/g 0644 0:0 g
lo symlink L/unlink/sym - 0:0 g
lo fifo L/unlink/fifo 0644 0:0
lo dir L/unlink/d 0755 0:0
lo dir L/unlink/deep 0755 0:0
lo dir L/unlink/deep/er 0755 0:0
lo file L/unlink/deep/er/x 0644 0:0 x
lo file L/unlink/open 0644 0:0 open-content
lo file L/unlink/hl1 0644 0:0 pair
lo link L/unlink/hl2 - - L/unlink/hl1

both dir L/rmdir 0755 0:0
lo dir L/rmdir/empty 0755 0:0
lo dir L/rmdir/full 0755 0:0
lo file L/rmdir/full/a 0644 0:0 a
both dir L/rmdir/both 0755 0:0
lo file L/rmdir/both/lo 0644 0:0 lo
hi file L/rmdir/both/hi 0644 0:0 hi
both dir L/rmdir/wh 0755 0:0
lo file L/rmdir/wh/gone 0644 0:0 gone
hi whiteout L/rmdir/wh/gone
lo dir L/rmdir/opq 0755 0:0
lo file L/rmdir/opq/old 0644 0:0 old
hi opaque L/rmdir/opq 0755 0:0
lo file L/rmdir/file 0644 0:0 f
lo dir L/rmdir/nest 0755 0:0
lo dir L/rmdir/nest/sub 0755 0:0

both dir L/rename 0755 0:0
lo file L/rename/f 0644 0:0 file-f
hi file L/rename/g 0640 0:0 file-g
lo file L/rename/victim 0600 0:0 victim
both dir L/rename/tree 0750 0:0
lo file L/rename/tree/a 0644 0:0 a
hi file L/rename/tree/b 0644 0:0 b
lo file L/rename/tree/gone 0644 0:0 gone
hi whiteout L/rename/tree/gone
lo dir L/rename/tree/sub 0755 0:0
lo file L/rename/tree/sub/c 0644 0:0 c
lo symlink L/rename/tree/sym - 0:0 a
lo dir L/rename/p1 0755 0:0
lo dir L/rename/p1/moveme 0750 0:0
lo file L/rename/p1/moveme/x 0644 0:0 x
lo dir L/rename/p2 0755 0:0
lo dir L/rename/empty 0755 0:0
lo dir L/rename/full 0755 0:0
lo file L/rename/full/y 0644 0:0 y
lo dir L/rename/d 0755 0:0
lo dir L/rename/d/inner 0755 0:0
lo dir L/rename/over 0755 0:0
lo file L/rename/over/z 0644 0:0 z
lo dir L/rename/target 0755 0:0
lo symlink L/rename/sym - 0:0 f
lo file L/rename/hl1 0644 0:0 pair
lo link L/rename/hl2 - - L/rename/hl1
lo file L/rename/ino 0644 0:0 ino

both dir L/symlink 0755 0:0
lo symlink L/symlink/rel - 0:0 ../open/keep
lo symlink L/symlink/weird - 0:0 a//b/./c/
lo symlink L/symlink/abs - 0:0 /nonexistent/abs
lo symlink L/symlink/loop1 - 0:0 loop2
hi symlink L/symlink/loop2 - 0:0 loop1
lo symlink L/symlink/bytes - 0:0 caf\xc3\xa9-\xff\xfe
lo file L/symlink/f 0644 0:0 f

both dir L/truncate 0755 0:0
lo file L/truncate/grow 0644 0:0 12345
lo file L/truncate/shrink 0644 0:0 0123456789
hi file L/truncate/zero 0644 0:0 zero-me
lo file L/truncate/same 0644 0:0 same
lo file L/truncate/ft 0644 0:0 ftruncate-me
lo dir L/truncate/dir 0755 0:0
lo fifo L/truncate/fifo 0644 0:0

both dir L/utimens 0755 0:0
lo file L/utimens/f 0644 0:0 times
hi file L/utimens/g 0644 0:0 g
lo dir L/utimens/d 0755 0:0
lo file L/utimens/d/x 0644 0:0 x
lo symlink L/utimens/sym - 0:0 g
lo fifo L/utimens/fifo 0644 0:0

both dir L/xattr 0755 0:0
lo file L/xattr/f 0644 0:0 xattrs
lo xattr L/xattr/f - - user.one=1
lo xattr L/xattr/f - - user.two=second
lo xattr L/xattr/f - - trusted.t=tv
lo dir L/xattr/d 0755 0:0
lo xattr L/xattr/d - - user.dir=yes
hi file L/xattr/g 0644 0:0 g
hi xattr L/xattr/g - - user.hi=top
lo symlink L/xattr/sym - 0:0 f
lo dir L/xattr/opq 0755 0:0
lo xattr L/xattr/opq - - user.below=hidden
lo file L/xattr/opq/old 0644 0:0 old
hi opaque L/xattr/opq 0755 0:0
hi xattr L/xattr/opq - - user.o=1
lo file L/xattr/dump 0644 0:0 dump
lo xattr L/xattr/dump - - user.a=alpha
lo xattr L/xattr/dump - - user.b=beta

both dir L/io 0755 0:0
lo file L/io/f 0644 0:0 0123456789
lo fill L/io/big 0644 0:0 300017
hi file L/io/g 0644 0:0 0123456789
lo file L/io/shared 0644 0:0 before

both dir L/readdir 0755 0:0
lo file L/readdir/a 0644 0:0 a
hi file L/readdir/b 0644 0:0 b
lo file L/readdir/c 0644 0:0 c-lo
hi file L/readdir/c 0600 0:0 c-hi
lo file L/readdir/gone 0644 0:0 gone
hi whiteout L/readdir/gone
lo dir L/readdir/opq 0755 0:0
lo file L/readdir/opq/old 0644 0:0 old
hi opaque L/readdir/opq 0700 0:0
hi file L/readdir/opq/new 0644 0:0 new
lo dir L/readdir/sub 0755 0:0
lo file L/readdir/sub/x 0644 0:0 x
lo file L/readdir/replaced 0644 0:0 file-below
hi dir L/readdir/replaced 0755 0:0
hi file L/readdir/replaced/inside 0644 0:0 inside
lo dir L/readdir/dirtofile 0755 0:0
lo file L/readdir/dirtofile/x 0644 0:0 x
hi file L/readdir/dirtofile 0644 0:0 file-above

both dir L/nlink 0755 0:0
both dir L/nlink/m 0755 0:0
lo dir L/nlink/m/s1 0755 0:0
lo dir L/nlink/m/s2 0755 0:0
hi dir L/nlink/m/s3 0755 0:0
both dir L/nlink/m/s4 0755 0:0
lo dir L/nlink/m/wh 0755 0:0
hi whiteout L/nlink/m/wh
lo file L/nlink/m/f 0644 0:0 f

both dir L/cu 0755 0:0
lo file L/cu/all 4750 1234:100 everything-kept
lo xattr L/cu/all - - user.k=v
lo xattr L/cu/all - - trusted.k=tv
lo dir L/cu/d 2750 1234:100
lo xattr L/cu/d - - user.d=dv
lo file L/cu/d/x 0600 1234:100 x
lo chr L/cu/dev 0640 0:6 1,3
lo fifo L/cu/fifo 0600 1234:100
lo symlink L/cu/sym - 1234:100 all
lo dir L/cu/plain 0755 0:0
lo file L/cu/plain/p 0644 0:0 p
both dir L/cu/merged 0755 0:0
lo file L/cu/merged/m1 0644 0:0 m1
hi file L/cu/merged/m2 0644 0:0 m2

both dir L/perm 0755 0:0
lo file L/perm/ro-own 0444 65534:65534 ro
lo dir L/perm/d555 0555 65534:65534
lo file L/perm/d555/inside 0644 65534:65534 in
lo dir L/perm/d600 0600 65534:65534
lo file L/perm/d600/x 0644 65534:65534 x
lo dir L/perm/d311 0311 65534:65534
lo file L/perm/d311/f 0644 65534:65534 f
lo dir L/perm/sticky 1777 0:0
lo file L/perm/sticky/rootfile 0666 0:0 r
lo file L/perm/sticky/userfile 0644 65534:65534 u
lo file L/perm/rootfile 0644 0:0 r
lo file L/perm/rootw 0666 0:0 w
lo file L/perm/own 0644 65534:65534 own
lo file L/perm/own-g0 0644 65534:0 own
lo file L/perm/suid 4755 65534:65534 12345
lo file L/perm/suid2 4755 65534:65534 12345
lo file L/perm/suid3 4755 65534:65534 12345
lo file L/perm/suid4 4755 65534:65534 12345
lo file L/perm/sgidx 2775 65534:65534 12345
lo file L/perm/sgidnx 2765 65534:65534 12345
lo dir L/perm/sgid-dir 2777 0:100
lo file L/perm/root600 0600 0:0 secret
lo dir L/perm/userdir 0755 65534:65534
lo dir L/perm/userdir/mv 0555 65534:65534
lo dir L/perm/userdir2 0755 65534:65534
END

# ---- building the starting tree ------------------------------------------------------------------

sub unescape {
  my $s = shift // '';
  $s =~ s/\\(n|s|x([0-9a-fA-F]{2})|\\)/$1 eq 'n' ? "\n" : $1 eq 's' ? ' ' : $1 eq '\\' ? '\\'
      : chr(hex $2)/ge;
  return $s;
}

sub fail_build { die "build: @_: $!\n" }

sub set_owner_mode {
  my ($path, $mode, $owner, $symlink) = @_;
  my ($uid, $gid) = split /:/, $owner;
  POSIX::lchown($uid, $gid, $path) or fail_build("lchown $path");
  return if $symlink;
  chmod(oct $mode, $path) or fail_build("chmod $path");
}

# Creates one entry of a line at $root/$path (nothing may be there).
sub create_entry {
  my ($root, $e) = @_;
  my $path = "$root/$e->{path}";
  my $kind = $e->{kind};
  if ($kind eq 'dir' || $kind eq 'opaque') {
    mkdir($path, 0700) or fail_build("mkdir $path");
    set_owner_mode($path, $e->{mode}, $e->{owner});
  } elsif ($kind eq 'file' || $kind eq 'fill') {
    my $data = $kind eq 'file' ? unescape($e->{arg})
        : join('', map { chr(($_ * 31 + 7) % 256) } 0 .. $e->{arg} - 1);
    put($path, $data, 0600) eq 'ok' or fail_build("write $path");
    set_owner_mode($path, $e->{mode}, $e->{owner});
  } elsif ($kind eq 'symlink') {
    symlink(unescape($e->{arg}), $path) or fail_build("symlink $path");
    set_owner_mode($path, undef, $e->{owner}, 1);
  } elsif ($kind eq 'fifo') {
    POSIX::mkfifo($path, 0600) or fail_build("mkfifo $path");
    set_owner_mode($path, $e->{mode}, $e->{owner});
  } elsif ($kind eq 'chr') {
    my ($maj, $min) = split /,/, $e->{arg};
    mknod($path, S_IFCHR | 0600, makedev($maj, $min)) eq 'ok' or fail_build("mknod $path");
    set_owner_mode($path, $e->{mode}, $e->{owner});
  } elsif ($kind eq 'link') {
    link("$root/$e->{arg}", $path) or fail_build("link $path");
  } else {
    die "build: unknown kind $kind\n";
  }
}

sub set_times_below {
  my ($path) = @_;
  my $s = sx($path) or fail_build("lstat $path");
  if (S_ISDIR($s->{mode})) {
    opendir(my $dh, $path) or fail_build("opendir $path");
    my @names = grep { $_ ne '.' && $_ ne '..' } readdir($dh);
    closedir($dh);
    set_times_below("$path/$_") for @names;
  }
  my ($sec, $nsec) = split /\./, OLD;
  utimens($path, [$sec, $nsec], [$sec, $nsec], 1) == 0 or fail_build("utimensat $path");
}

sub build {
  my ($lo, $hi, $flat, $upper) = @_;
  die "usage: build LO HI FLAT UPPER\n" unless defined $upper;
  my @entries;
  for my $line (split /\n/, $LAYERS) {
    next if $line =~ /^\s*(#|$)/;
    my ($layer, $kind, $path, $mode, $owner, $arg) = split ' ', $line, 6;
    push @entries, { layer => $layer, kind => $kind, path => $path, mode => $mode,
                     owner => $owner, arg => $arg };
  }
  umask(0);
  # The layers, each as written.
  for my $e (@entries) {
    for my $root ($e->{layer} eq 'both' ? ($lo, $hi) : $e->{layer} eq 'lo' ? ($lo) : ($hi)) {
      my $path = "$root/$e->{path}";
      if ($e->{kind} eq 'whiteout') {
        mknod($path, S_IFCHR, 0) eq 'ok' or fail_build("mknod whiteout $path");
      } elsif ($e->{kind} eq 'xattr') {
        my ($name, $value) = split /=/, $e->{arg}, 2;
        setx($path, $name, unescape($value)) eq 'ok' or fail_build("setxattr $path");
      } else {
        create_entry($root, $e);
        setx($path, 'trusted.overlay.opaque', 'y') eq 'ok' or fail_build("opaque $path")
            if $e->{kind} eq 'opaque';
      }
    }
  }
  # The flattened tree: the bottom layer, then the top one with the union's rules.
  for my $e (grep { $_->{layer} ne 'hi' } @entries) {
    if ($e->{kind} eq 'xattr') {
      my ($name, $value) = split /=/, $e->{arg}, 2;
      setx("$flat/$e->{path}", $name, unescape($value)) eq 'ok' or fail_build("setxattr");
    } else {
      create_entry($flat, $e);
    }
  }
  for my $e (grep { $_->{layer} ne 'lo' } @entries) {
    my $path = "$flat/$e->{path}";
    my $s = sx($path);
    if ($e->{kind} eq 'xattr') {
      my ($name, $value) = split /=/, $e->{arg}, 2;
      setx($path, $name, unescape($value)) eq 'ok' or fail_build("setxattr $path");
    } elsif ($e->{kind} eq 'dir' && $s && S_ISDIR($s->{mode})) {
      # A directory over a directory: merged, with the top one's attributes.
      set_owner_mode($path, $e->{mode}, $e->{owner});
      my $names = listx($path);
      $names =~ s/^\[|\]$//g;
      rmx($path, $_) for grep { length } split /,/, $names;
    } else {
      rmtree($path) if $s;
      create_entry($flat, $e) unless $e->{kind} eq 'whiteout';
    }
  }
  for my $root ($flat, $upper) {
    set_owner_mode($root, '0755', '0:0');
  }
  set_times_below($_) for $lo, $hi, $flat, $upper;
}

# ==================================================================================================
# Root phase
# ==================================================================================================

sub walk {
  my ($prefix, $root, $with_times) = @_;
  my @paths;
  my $visit;
  $visit = sub {
    my ($path) = @_;
    push @paths, $path;
    my $s = sx($path);
    return unless $s && S_ISDIR($s->{mode});
    opendir(my $dh, $path) or return;
    my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir($dh);
    closedir($dh);
    $visit->("$path/$_") for @names;
  };
  $visit->($root);
  for my $path (@paths) {
    my $s = sx($path);
    my $line = desc($path);
    if ($s && S_ISREG($s->{mode})) {
      $line .= ' ' . sum($path);
    } elsif ($s && S_ISLNK($s->{mode})) {
      my $target = readlink($path) // '';
      $line .= ' ->' . (length $target > 100 ? 'len' . length($target) . ' sum'
          . sprintf('%08x', unpack('%32C*', $target)) : esc($target));
    }
    $line .= ' xattrs' . listx($path) if $s && !S_ISLNK($s->{mode});
    if ($with_times && $s) {
      $line .= ' m=' . ($s->{m} eq OLD ? 'OLD' : $s->{m} eq sprintf('%d.%09d', @{+PAST_M})
                        ? 'PAST' : 'new');
    }
    (my $id = esc($path)) =~ s/ /\\x20/g;
    out("$prefix:$id", 'entry', $line);
  }
}

sub sec_open {
  my $d = 'N/open';
  my $l = 'L/open';
  mk($d);
  umask(022);
  out('open.01', 'O_CREAT|O_EXCL of a new name, mode 0666, umask 022',
      r(sysopen(my $fh, "$d/f1", O_WRONLY | O_CREAT | O_EXCL, 0666)) . ' ' . desc("$d/f1"));
  close($fh) if $fh;
  out('open.02', 'O_CREAT|O_EXCL of an existing file',
      r(sysopen($fh, "$d/f1", O_WRONLY | O_CREAT | O_EXCL, 0666)));
  out('open.03', 'O_CREAT|O_EXCL of a lower file',
      r(sysopen($fh, "$l/f", O_WRONLY | O_CREAT | O_EXCL, 0666)) . ' ' . cat("$l/f"));
  out('open.04', 'O_CREAT|O_EXCL of a lower dangling symlink',
      r(sysopen($fh, "$l/dangling", O_WRONLY | O_CREAT | O_EXCL, 0666)) . ' '
      . desc("$l/nowhere"));
  out('open.05', 'O_CREAT of a lower dangling symlink creates its target',
      r(sysopen($fh, "$l/dangling2", O_WRONLY | O_CREAT, 0640)) . ' ' . desc("$l/made-by-open")
      . ' ' . desc("$l/dangling2"));
  close($fh) if $fh;
  my $w = watch("$l/keep");
  out('open.06', 'O_WRONLY|O_CREAT of an existing lower file, nothing written',
      r(sysopen($fh, "$l/keep", O_WRONLY | O_CREAT, 0600)) . ' ' . desc("$l/keep") . ' '
      . cat("$l/keep") . ' ' . mdelta($w, "$l/keep"));
  close($fh) if $fh;

  put("$d/t", 'some content');
  past("$d/t");
  $w = watch("$d/t");
  out('open.07', 'O_TRUNC of a file with content',
      r(sysopen($fh, "$d/t", O_WRONLY | O_TRUNC)) . ' ' . size_of("$d/t") . ' '
      . delta($w, "$d/t"));
  close($fh) if $fh;
  $w = watch("$l/trunc");
  out('open.08', 'O_TRUNC of a lower file',
      r(sysopen($fh, "$l/trunc", O_WRONLY | O_TRUNC)) . ' ' . desc("$l/trunc") . ' '
      . cat("$l/trunc") . ' ' . delta($w, "$l/trunc"));
  close($fh) if $fh;
  $w = watch("$l/empty");
  out('open.09', 'O_TRUNC of an empty lower file',
      r(sysopen($fh, "$l/empty", O_RDWR | O_TRUNC)) . ' ' . size_of("$l/empty") . ' '
      . mdelta($w, "$l/empty"));
  close($fh) if $fh;

  for my $case (['open.10', "$d/app", 'a new file'], ['open.11', "$l/app", 'a lower file']) {
    my ($id, $path, $what) = @$case;
    put($path, '12345') if $path =~ /^N/;
    my $rc = r(sysopen($fh, $path, O_WRONLY | O_APPEND));
    my @pos;
    if ($rc eq 'ok') {
      syswrite($fh, 'abc');
      push @pos, sysseek($fh, 0, SEEK_CUR) + 0;
      sysseek($fh, 0, SEEK_SET);
      syswrite($fh, 'X');
      push @pos, sysseek($fh, 0, SEEK_CUR) + 0;
      close($fh);
    }
    out($id, "O_APPEND writes go to the end, after a seek to 0, on $what",
        "$rc pos=" . join(',', @pos) . ' ' . cat($path));
  }
  {
    my $rc = r(sysopen($fh, "$l/rw", O_RDWR));
    my $got = '';
    my $pos = '';
    if ($rc eq 'ok') {
      sysread($fh, $got, 3);
      syswrite($fh, 'XY');
      $pos = sysseek($fh, 0, SEEK_CUR) + 0;
      close($fh);
    }
    out('open.12', 'O_RDWR of a lower file: read 3 bytes, write 2 at the position',
        "$rc read=$got pos=$pos " . cat("$l/rw"));
  }
  out('open.13', 'O_DIRECTORY of a file', r(sysopen($fh, "$d/f1", O_RDONLY | O_DIRECTORY)));
  out('open.14', 'O_DIRECTORY of a lower file', r(sysopen($fh, "$l/f", O_RDONLY | O_DIRECTORY)));
  out('open.15', 'O_DIRECTORY of a lower directory',
      r(sysopen($fh, "$l/dir", O_RDONLY | O_DIRECTORY)));
  close($fh) if $fh;
  out('open.16', 'open of a missing name', r(sysopen($fh, "$d/missing", O_RDONLY)));
  out('open.17', 'open below a missing directory', r(sysopen($fh, "$d/missing/x", O_RDONLY)));
  out('open.18', 'open below a lower file', r(sysopen($fh, "$l/f/x", O_RDONLY)));
  out('open.19', 'O_CREAT below a lower file', r(sysopen($fh, "$l/f/x", O_WRONLY | O_CREAT, 0644)));
  mk("$d/dir");
  out('open.20', 'O_WRONLY of a directory', r(sysopen($fh, "$d/dir", O_WRONLY)));
  out('open.21', 'O_RDWR of a lower directory', r(sysopen($fh, "$l/dir", O_RDWR)));
  out('open.22', 'O_RDONLY of a lower directory', r(sysopen($fh, "$l/dir", O_RDONLY)));
  close($fh) if $fh;
  out('open.23', 'O_CREAT of an existing directory', r(sysopen($fh, "$l/dir", O_RDONLY | O_CREAT,
      0644)));
  out('open.24', 'O_NOFOLLOW of a lower symlink',
      r(sysopen($fh, "$l/tofile", O_RDONLY | O_NOFOLLOW)));
  out('open.25', 'read through a lower symlink', cat("$l/tofile"));
  {
    symlink('wlink-target', "$d/wlink") or must(0, 'symlink wlink');
    my $rc = r(sysopen($fh, "$l/tofile", O_WRONLY | O_TRUNC));
    if ($rc eq 'ok') { syswrite($fh, 'via-link'); close($fh) }
    out('open.26', 'O_WRONLY|O_TRUNC through a lower symlink writes its target',
        "$rc " . cat("$l/keep") . ' ' . desc("$l/tofile"));
  }
  umask(0);
  out('open.27', 'O_CREAT with mode 0, umask 0',
      r(sysopen($fh, "$d/m0", O_WRONLY | O_CREAT | O_EXCL, 0)) . ' ' . desc("$d/m0"));
  close($fh) if $fh;
  out('open.28', 'O_CREAT with mode 07777 as root, umask 0',
      r(sysopen($fh, "$d/m7777", O_WRONLY | O_CREAT | O_EXCL, 07777)) . ' ' . desc("$d/m7777"));
  close($fh) if $fh;
  umask(077);
  out('open.29', 'O_CREAT with mode 0666, umask 077',
      r(sysopen($fh, "$d/m077", O_WRONLY | O_CREAT | O_EXCL, 0666)) . ' ' . desc("$d/m077"));
  close($fh) if $fh;
  umask(022);
  out('open.30', 'O_CREAT of a new name in a lower directory',
      r(sysopen($fh, "$l/dir/new", O_WRONLY | O_CREAT | O_EXCL, 0666)) . ' ' . desc("$l/dir/new")
      . ' ' . ls("$l/dir"));
  close($fh) if $fh;
}

sub sec_mk {
  my $d = 'N/mk';
  my $l = 'L/mk';
  mk($d);
  umask(0);
  out('mk.01', 'mkdir 0777, umask 0', r(mkdir("$d/a", 0777)) . ' ' . desc("$d/a"));
  umask(022);
  out('mk.02', 'mkdir 0777, umask 022', r(mkdir("$d/b", 0777)) . ' ' . desc("$d/b"));
  umask(0);
  out('mk.03', 'mkdir 07777, umask 0 (no setuid/setgid on a new dir)',
      r(mkdir("$d/c", 07777)) . ' ' . desc("$d/c"));
  umask(027);
  out('mk.04', 'mkdir 0777, umask 027', r(mkdir("$d/e", 0777)) . ' ' . desc("$d/e"));
  umask(022);
  out('mk.05', 'link count of a directory with 4 subdirectories', nlink_of($d));
  out('mk.06', 'mkdir of an existing directory', r(mkdir("$d/a", 0755)));
  out('mk.07', 'mkdir of a lower directory', r(mkdir("$l/d1", 0755)));
  out('mk.08', 'mkdir of a lower file', r(mkdir("$l/file", 0755)));
  out('mk.09', 'mkdir of a lower dangling symlink', r(mkdir("$l/sym", 0755)));
  out('mk.10', 'mkdir of a lower fifo', r(mkdir("$l/fifo", 0755)));
  out('mk.11', 'mkdir below a missing directory', r(mkdir("$d/missing/x", 0755)));
  out('mk.12', 'mkdir below a lower file', r(mkdir("$l/file/x", 0755)));
  out('mk.13', 'mkdir of the empty path', r(mkdir('', 0755)));
  my $w = watch("$l/d1");
  out('mk.14', 'mkdir in a lower directory with a subdirectory',
      r(mkdir("$l/d1/new", 0755)) . ' ' . desc("$l/d1") . ' ' . delta($w, "$l/d1") . ' '
      . ls("$l/d1"));
  out('mk.15', 'mkdir in a lower directory of the top layer',
      r(mkdir("$l/d2/new", 0755)) . ' ' . desc("$l/d2"));
  out('mk.16', 'mkdir in a lower setgid directory (group 100)',
      r(mkdir("$l/sgid/sub", 0777)) . ' ' . desc("$l/sgid/sub"));
  out('mk.17', 'create in a lower setgid directory',
      put("$l/sgid/file", 'x') . ' ' . desc("$l/sgid/file"));
  past($d);
  $w = watch($d);
  out('mk.18', 'mkdir changes the parent times', r(mkdir("$d/f", 0700)) . ' ' . delta($w, $d));

  my $fh;
  umask(0);
  out('mk.19', 'creat 0666, umask 0',
      r(sysopen($fh, "$d/c1", O_WRONLY | O_CREAT | O_TRUNC, 0666)) . ' ' . desc("$d/c1"));
  umask(022);
  out('mk.20', 'creat 0777, umask 022',
      r(sysopen($fh, "$d/c2", O_WRONLY | O_CREAT | O_TRUNC, 0777)) . ' ' . desc("$d/c2"));
  close($fh) if $fh;

  umask(022);
  out('mk.21', 'mkfifo 0666, umask 022', r(POSIX::mkfifo("$d/fifo", 0666)) . ' ' . desc("$d/fifo"));
  out('mk.22', 'mkfifo of an existing name', r(POSIX::mkfifo("$d/fifo", 0666)));
  out('mk.23', 'mkfifo of a lower file', r(POSIX::mkfifo("$l/file", 0666)));
  umask(0);
  out('mk.24', 'mkfifo 0777, umask 0', r(POSIX::mkfifo("$d/fifo2", 0777)) . ' ' . desc("$d/fifo2"));
  out('mk.25', 'mkfifo in a lower directory', r(POSIX::mkfifo("$l/d2/fifo", 0600)) . ' '
      . desc("$l/d2/fifo"));
  umask(022);
  out('mk.26', 'mknod a character device 1,3 mode 0666, umask 022',
      mknod("$d/chr", S_IFCHR | 0666, makedev(1, 3)) . ' ' . desc("$d/chr"));
  out('mk.27', 'mknod a block device 7,0 mode 0600',
      mknod("$d/blk", S_IFBLK | 0600, makedev(7, 0)) . ' ' . desc("$d/blk"));
  out('mk.28', 'mknod S_IFREG', mknod("$d/reg", S_IFREG | 0640) . ' ' . desc("$d/reg"));
  out('mk.29', 'mknod with no type (a regular file)', mknod("$d/reg0", 0640) . ' '
      . desc("$d/reg0"));
  out('mk.30', 'mknod S_IFSOCK', mknod("$d/sock", S_IFSOCK | 0644) . ' ' . desc("$d/sock"));
  out('mk.31', 'mknod S_IFIFO', mknod("$d/fifo3", S_IFIFO | 0644) . ' ' . desc("$d/fifo3"));
  out('mk.32', 'mknod of an existing name', mknod("$d/chr", S_IFCHR | 0600, makedev(1, 3)));
  out('mk.33', 'mknod of a lower fifo', mknod("$l/fifo", S_IFIFO | 0600));
  out('mk.34', 'mknod S_IFDIR', mknod("$d/dir", S_IFDIR | 0755));
  out('mk.35', 'mknod a character device 0,0', mknod("$d/zero", S_IFCHR | 0600, makedev(0, 0))
      . ' ' . desc("$d/zero"));
  unlink("$d/zero");
  out('mk.36', 'mknod a device in a lower directory',
      mknod("$l/d1/chr", S_IFCHR | 0640, makedev(1, 5)) . ' ' . desc("$l/d1/chr"));
  past($d);
  $w = watch($d);
  out('mk.37', 'mkfifo changes the parent times', r(POSIX::mkfifo("$d/fifo4", 0644)) . ' '
      . delta($w, $d));
}

sub sec_chmod {
  my $d = 'N/chmod';
  my $l = 'L/chmod';
  mk($d);
  put("$d/f", 'f');
  past("$d/f");
  my $w = watch("$d/f");
  out('chmod.01', 'chmod 0600 of a file', r(chmod(0600, "$d/f")) . ' ' . desc("$d/f") . ' '
      . delta($w, "$d/f"));
  my $i = 2;
  for my $mode (04755, 02755, 01755, 07777, 0, 06711) {
    out(sprintf('chmod.%02d', $i++), sprintf('chmod %04o of a file', $mode),
        r(chmod($mode, "$d/f")) . ' ' . mode_of("$d/f"));
  }
  mk("$d/dir");
  for my $mode (01777, 02755, 0, 04700) {
    out(sprintf('chmod.%02d', $i++), sprintf('chmod %04o of a directory', $mode),
        r(chmod($mode, "$d/dir")) . ' ' . mode_of("$d/dir"));
  }
  # i == 12 now
  $w = watch("$l/f", $l);
  out('chmod.12', 'chmod 0600 of a lower file',
      r(chmod(0600, "$l/f")) . ' ' . desc("$l/f") . ' ' . cat("$l/f") . ' ' . delta($w, "$l/f"));
  out('chmod.13', 'mtime of the lower parent after chmod of its child', mdelta($w, $l));
  $w = watch("$l/p");
  chmod(0640, "$l/p/child");
  out('chmod.14', 'ctime of a lower parent after chmod of its child', cdelta($w, "$l/p"));
  out('chmod.15', 'chmod 4755 of a lower file', r(chmod(04755, "$l/suid")) . ' ' . desc("$l/suid"));
  out('chmod.16', 'chmod 0700 of a lower directory merged from both layers',
      r(chmod(0700, "$l/d")) . ' ' . desc("$l/d") . ' ' . ls("$l/d") . ' ' . desc("$l/d/child")
      . ' ' . desc("$l/d/child2"));
  out('chmod.17', 'chmod through a lower symlink changes the target',
      r(chmod(0640, "$l/link")) . ' ' . desc("$l/f2") . ' ' . desc("$l/link"));
  out('chmod.18', 'chmod 0600 of a lower fifo', r(chmod(0600, "$l/fifo")) . ' ' . desc("$l/fifo"));
  out('chmod.19', 'chmod of a missing name', r(chmod(0600, "$d/missing")));
  out('chmod.20', 'chmod below a file', r(chmod(0600, "$d/f/x")));
  {
    my $rc = r(sysopen(my $fh, "$d/f", O_RDONLY));
    $rc .= ' ' . r(chmod(0641, $fh)) if $rc eq 'ok';
    close($fh) if $fh;
    out('chmod.21', 'fchmod of an open file', "$rc " . mode_of("$d/f"));
  }
  my $before = sx("$l/ino");
  chmod(0600, "$l/ino");
  my $after = sx("$l/ino");
  out('chmod.22', 'inode number of a lower file after chmod',
      !$before || !$after ? 'missing' : $before->{ino} == $after->{ino} ? 'same' : 'changed');
}

sub sec_chown {
  my $d = 'N/chown';
  my $l = 'L/chown';
  mk($d);
  put("$d/f", 'f');
  past("$d/f");
  my $w = watch("$d/f");
  out('chown.01', 'chown 1234:5678', r(chown(1234, 5678, "$d/f")) . ' ' . desc("$d/f") . ' '
      . delta($w, "$d/f"));
  out('chown.02', 'chown -1:100 keeps the owner', r(chown(-1, 100, "$d/f")) . ' '
      . owner_of("$d/f"));
  out('chown.03', 'chown 42:-1 keeps the group', r(chown(42, -1, "$d/f")) . ' ' . owner_of("$d/f"));
  $w = watch("$d/f");
  out('chown.04', 'chown -1:-1 changes nothing', r(chown(-1, -1, "$d/f")) . ' ' . owner_of("$d/f"));
  out('chown.05', 'ctime after chown -1:-1', cdelta($w, "$d/f"));
  my $i = 6;
  for my $case ([04755, 0, 0], [06755, 0, 0], [02745, 0, 0], [04755, -1, -1], [02755, 7, -1],
                [06750, -1, 9]) {
    my ($mode, $uid, $gid) = @$case;
    put("$d/s$i", 's');
    chmod($mode, "$d/s$i");
    out(sprintf('chown.%02d', $i), sprintf('chown %d:%d of a %04o file (as root)', $uid, $gid, $mode),
        r(chown($uid, $gid, "$d/s$i")) . ' ' . desc("$d/s$i"));
    $i++;
  }
  mk("$d/dir");
  chmod(06755, "$d/dir");
  out('chown.12', 'chown 1:1 of a 6755 directory', r(chown(1, 1, "$d/dir")) . ' '
      . desc("$d/dir"));
  $w = watch("$l/f", $l);
  out('chown.13', 'chown 1234:5678 of a lower file', r(chown(1234, 5678, "$l/f")) . ' '
      . desc("$l/f") . ' ' . cat("$l/f") . ' ' . delta($w, "$l/f") . ' parent ' . mdelta($w, $l));
  out('chown.14', 'chown 0:0 of a lower 4755 file', r(chown(0, 0, "$l/suid")) . ' '
      . desc("$l/suid"));
  out('chown.15', 'chown 0:0 of a lower 2755 file', r(chown(0, 0, "$l/sgid")) . ' '
      . desc("$l/sgid"));
  out('chown.16', 'chown 0:0 of a lower 2745 file', r(chown(0, 0, "$l/sgidnx")) . ' '
      . desc("$l/sgidnx"));
  out('chown.17', 'chown 3:3 of a lower 6755 directory', r(chown(3, 3, "$l/d")) . ' '
      . desc("$l/d"));
  out('chown.18', 'lchown 7:8 of a lower symlink', r(POSIX::lchown(7, 8, "$l/link")) . ' '
      . desc("$l/link") . ' target ' . desc("$l/f"));
  out('chown.19', 'chown through a lower symlink changes the target',
      r(chown(5, 6, "$l/link2")) . ' ' . desc("$l/link2") . ' target ' . desc("$l/dir/c"));
  out('chown.20', 'chown 9:9 of a lower directory', r(chown(9, 9, "$l/dir")) . ' '
      . desc("$l/dir") . ' ' . ls("$l/dir"));
  out('chown.21', 'chown of a missing name', r(chown(1, 1, "$d/missing")));
  {
    my $rc = r(sysopen(my $fh, "$d/f", O_RDONLY));
    $rc .= ' ' . r(chown(77, 88, $fh)) if $rc eq 'ok';
    close($fh) if $fh;
    out('chown.22', 'fchown of an open file', "$rc " . owner_of("$d/f"));
  }
}

sub sec_link {
  my $d = 'N/link';
  my $l = 'L/link';
  mk($d);
  put("$d/a", 'aaa');
  past("$d/a", $d);
  my $w = watch("$d/a", $d);
  out('link.01', 'link a new file', r(link("$d/a", "$d/b")) . ' ' . desc("$d/a") . ' '
      . desc("$d/b") . ' ' . same_file("$d/a", "$d/b"));
  out('link.02', 'times of the file after link', delta($w, "$d/a"));
  my $wa = $w;
  later(sub { out('link.01s', 'both names after the attribute timeout', desc("$d/a") . ' '
                  . desc("$d/b") . ' ' . same_file("$d/a", "$d/b") . ' ' . cdelta($wa, "$d/a")) });
  out('link.03', 'times of the directory after link', delta($w, $d));
  out('link.04', 'a third name', r(link("$d/a", "$d/c")) . ' ' . desc("$d/c") . ' ' . desc("$d/a"));
  out('link.05', 'link count of the second name right after a third name was made through the first',
      nlink_of("$d/b"));
  later(sub { out('link.05s', 'link count of the second name, after the attribute timeout',
                  nlink_of("$d/b")) });
  out('link.06', 'link to an existing name', r(link("$d/a", "$d/b")));
  mk("$d/dir");
  out('link.07', 'link of a directory', r(link("$d/dir", "$d/dir2")));
  out('link.08', 'link of a missing name', r(link("$d/missing", "$d/x")));
  out('link.09', 'link into a missing directory', r(link("$d/a", "$d/missing/x")));
  out('link.10', 'link to a 256-byte name', r(link("$d/a", "$d/" . ('n' x 256))));
  out('link.11', 'link below a file', r(link("$d/a/x", "$d/x")));
  symlink('a', "$d/sym") or must(0, 'symlink');
  out('link.12', 'link of a symlink links the symlink itself', r(link("$d/sym", "$d/sym2")) . ' '
      . desc("$d/sym2") . ' ' . esc(readlink("$d/sym2")));

  $w = watch("$l/f", $l);
  out('link.13', 'link of a lower file', r(link("$l/f", "$l/f.new")) . ' ' . desc("$l/f") . ' '
      . desc("$l/f.new") . ' ' . cat("$l/f.new") . ' ' . same_file("$l/f", "$l/f.new"));
  out('link.14', 'times of the lower file after link', delta($w, "$l/f"));
  my $wf = $w;
  later(sub { out('link.13s', 'both names of the lower file after the attribute timeout',
                  desc("$l/f") . ' ' . desc("$l/f.new") . ' ' . same_file("$l/f", "$l/f.new")
                  . ' ' . cdelta($wf, "$l/f")) });
  out('link.15', 'times of the lower directory after link', delta($w, $l));
  out('link.16', 'link of a lower file into a lower directory',
      r(link("$l/g", "$l/d/g2")) . ' ' . desc("$l/d/g2") . ' ' . ls("$l/d"));
  out('link.17', 'link of a lower file into a new directory', r(link("$l/g", "$d/g3")) . ' '
      . desc("$d/g3") . ' ' . cat("$d/g3"));
  {
    my $rc = r(sysopen(my $fh, "$l/f.new", O_WRONLY | O_APPEND));
    if ($rc eq 'ok') { syswrite($fh, '+more'); close($fh) }
    out('link.18', 'write through the new name, read through the old one', "$rc " . cat("$l/f"));
    later(sub { out('link.18s', 'read through the old name after the attribute timeout',
                    cat("$l/f")) });
  }
  out('link.19', 'a lower pair of hard links', desc("$l/hl1") . ' ' . desc("$l/hl2") . ' '
      . same_file("$l/hl1", "$l/hl2"));
  out('link.20', 'chmod of one lower hard link, mode of the other',
      r(chmod(0600, "$l/hl1")) . ' ' . desc("$l/hl2"));
  later(sub { out('link.20s', 'mode of the other lower hard link after the attribute timeout',
                  mode_of("$l/hl2")) });
  {
    my $rc = r(sysopen(my $fh, "$l/hl1", O_WRONLY | O_APPEND));
    if ($rc eq 'ok') { syswrite($fh, '+hl1'); close($fh) }
    out('link.21', 'write to one lower hard link, read the other', "$rc " . cat("$l/hl2"));
    later(sub { out('link.21s', 'read the other lower hard link after the attribute timeout',
                    cat("$l/hl2")) });
  }
  out('link.22', 'link of a lower hard link', r(link("$l/hl2", "$l/hl3")) . ' ' . desc("$l/hl3")
      . ' ' . same_file("$l/hl1", "$l/hl3"));
  later(sub { out('link.22s', 'the three lower hard links after the attribute timeout',
                  desc("$l/hl1") . ' ' . desc("$l/hl2") . ' ' . desc("$l/hl3")) });
  out('link.23', 'link of a lower symlink', r(link("$l/sym", "$l/sym2")) . ' ' . desc("$l/sym2")
      . ' ' . esc(readlink("$l/sym2")));
}

sub sec_unlink {
  my $d = 'N/unlink';
  my $l = 'L/unlink';
  mk($d);
  put("$d/a", 'a');
  past($d);
  my $w = watch($d);
  out('unlink.01', 'unlink a file', r(unlink("$d/a")) . ' ' . desc("$d/a") . ' ' . delta($w, $d));
  put("$d/b", 'b');
  link("$d/b", "$d/b2") or must(0, 'link');
  past("$d/b2");
  out('unlink.02', 'the other name of two before unlink', desc("$d/b2"));
  my $wb = watch("$d/b2");
  out('unlink.03', 'unlink one of two names: the link count of the other right after',
      r(unlink("$d/b")) . ' ' . desc("$d/b2"));
  later(sub { out('unlink.03s', 'the other name after the attribute timeout',
                  desc("$d/b2") . ' ' . cdelta($wb, "$d/b2")) });
  mk("$d/dir");
  out('unlink.04', 'unlink a directory', r(unlink("$d/dir")));
  out('unlink.05', 'unlink a lower directory', r(unlink("$l/d")));
  out('unlink.06', 'unlink a missing name', r(unlink("$d/missing")));
  out('unlink.07', 'unlink below a lower file', r(unlink("$l/f/x")));
  $w = watch($l);
  out('unlink.08', 'unlink a lower file', r(unlink("$l/f")) . ' ' . desc("$l/f") . ' ' . ls($l)
      . ' ' . delta($w, $l));
  out('unlink.09', 'unlink a lower file of the top layer', r(unlink("$l/g")) . ' ' . desc("$l/g"));
  out('unlink.10', 'unlink a lower symlink (target missing already)', r(unlink("$l/sym")) . ' '
      . desc("$l/sym"));
  out('unlink.11', 'unlink a lower fifo', r(unlink("$l/fifo")) . ' ' . desc("$l/fifo"));
  $w = watch("$l/deep");
  out('unlink.12', 'unlink a lower file two directories deep', r(unlink("$l/deep/er/x")) . ' '
      . ls("$l/deep/er") . ' parent-of-parent ' . delta($w, "$l/deep"));
  out('unlink.13', 'create a lower name again after unlink', put("$l/f", 'again') . ' '
      . desc("$l/f") . ' ' . cat("$l/f"));
  {
    my $rc = r(sysopen(my $fh, "$l/open", O_RDONLY));
    my $got = '';
    my $fs = '';
    if ($rc eq 'ok') {
      $rc .= ' ' . r(unlink("$l/open"));
      sysread($fh, $got, 100);
      $fs = fstat_desc($fh);
      close($fh);
    }
    out('unlink.14', 'a lower file unlinked while open still reads',
        "$rc read=$got fstat=$fs " . desc("$l/open"));
  }
  {
    put("$d/o", 'open');
    my $rc = r(sysopen(my $fh, "$d/o", O_RDWR));
    my $fs = '';
    my $got = '';
    if ($rc eq 'ok') {
      unlink("$d/o");
      syswrite($fh, 'OPEN+more');
      sysseek($fh, 0, SEEK_SET);
      sysread($fh, $got, 100);
      $fs = fstat_desc($fh);
      close($fh);
    }
    out('unlink.15', 'a file unlinked while open: write, read back, fstat', "$rc read=$got $fs");
  }
  out('unlink.16', 'unlink one of a lower pair of hard links', r(unlink("$l/hl1")) . ' '
      . desc("$l/hl2") . ' ' . cat("$l/hl2"));
  out('unlink.17', 'unlink of "."', r(unlink("$d/.")));
}

sub sec_rmdir {
  my $d = 'N/rmdir';
  my $l = 'L/rmdir';
  mk($d);
  mk("$d/e");
  mk("$d/full");
  put("$d/full/x", 'x');
  put("$d/file", 'f');
  out('rmdir.01', 'the parent before', desc($d));
  past($d);
  my $w = watch($d);
  out('rmdir.02', 'rmdir an empty directory', r(rmdir("$d/e")) . ' ' . desc("$d/e") . ' '
      . desc($d) . ' ' . delta($w, $d));
  out('rmdir.03', 'rmdir a non-empty directory', r(rmdir("$d/full")));
  out('rmdir.04', 'rmdir a file', r(rmdir("$d/file")));
  out('rmdir.05', 'rmdir "."', r(rmdir("$d/full/.")));
  out('rmdir.06', 'rmdir ".."', r(rmdir("$d/full/..")));
  out('rmdir.07', 'rmdir a missing name', r(rmdir("$d/missing")));
  out('rmdir.08', 'rmdir below a file', r(rmdir("$d/file/x")));
  out('rmdir.09', 'the lower parent before', desc($l));
  $w = watch($l);
  out('rmdir.10', 'rmdir an empty lower directory', r(rmdir("$l/empty")) . ' ' . desc("$l/empty")
      . ' ' . desc($l) . ' ' . delta($w, $l));
  out('rmdir.11', 'rmdir a non-empty lower directory', r(rmdir("$l/full")));
  out('rmdir.12', 'rmdir a lower directory after unlinking its child',
      r(unlink("$l/full/a")) . ' ' . r(rmdir("$l/full")) . ' ' . desc("$l/full"));
  out('rmdir.13', 'rmdir a lower directory with children in both layers', r(rmdir("$l/both")));
  out('rmdir.14', 'rmdir it after unlinking the children of both layers',
      r(unlink("$l/both/lo")) . ' ' . r(unlink("$l/both/hi")) . ' ' . r(rmdir("$l/both")) . ' '
      . desc("$l/both"));
  out('rmdir.15', 'rmdir a lower directory whose only child is whited out',
      ls("$l/wh") . ' ' . r(rmdir("$l/wh")) . ' ' . desc("$l/wh"));
  out('rmdir.16', 'rmdir an empty opaque lower directory',
      ls("$l/opq") . ' ' . r(rmdir("$l/opq")) . ' ' . desc("$l/opq"));
  out('rmdir.17', 'rmdir a lower file', r(rmdir("$l/file")));
  out('rmdir.18', 'rmdir nested lower directories',
      r(rmdir("$l/nest")) . ' ' . r(rmdir("$l/nest/sub")) . ' ' . desc("$l/nest") . ' '
      . r(rmdir("$l/nest")));
  out('rmdir.19', 'mkdir where a lower directory was removed',
      r(mkdir("$l/full", 0700)) . ' ' . desc("$l/full") . ' ' . ls("$l/full"));
  out('rmdir.20', 'the lower parent at the end', desc($l) . ' ' . ls($l));
  out('rmdir.21', 'rmdir of the working directory itself (".")',
      do { my $rc = chdir("$d/full") ? r(rmdir('.')) : errname(); chdir('../../..'); $rc });
}

sub sec_rename {
  my $d = 'N/rename';
  my $l = 'L/rename';
  mk($d);
  put("$d/a", 'aaa');
  past("$d/a", $d);
  my $ino = sx("$d/a");
  my $w = watch("$d/a", $d);
  out('rename.01', 'rename a file', r(rename("$d/a", "$d/b")) . ' ' . desc("$d/a") . ' '
      . desc("$d/b") . ' ' . cat("$d/b"));
  out('rename.02', 'the renamed file keeps its inode',
      ($ino && sx("$d/b") && sx("$d/b")->{ino} == $ino->{ino}) ? 'same' : 'other');
  out('rename.03', 'times of the renamed file', delta($w, "$d/a", "$d/b"));
  out('rename.04', 'times of the directory', delta($w, $d));
  put("$d/c", 'ccc');
  link("$d/c", "$d/c2") or must(0, 'link');
  put("$d/src", 'src');
  out('rename.05', 'rename over a file with two names', r(rename("$d/src", "$d/c")) . ' '
      . cat("$d/c") . ' ' . desc("$d/c"));
  out('rename.06', 'the other name of the replaced file, right after', desc("$d/c2"));
  later(sub { out('rename.06s', 'the other name of the replaced file, after the attribute timeout',
                  desc("$d/c2")) });
  mk("$d/d1");
  mk("$d/d1/sub");
  put("$d/d1/f", 'f');
  out('rename.07', 'rename a directory', r(rename("$d/d1", "$d/d2")) . ' ' . desc("$d/d2") . ' '
      . ls("$d/d2") . ' ' . desc("$d/d1"));
  mk("$d/empty");
  out('rename.08', 'rename a directory over an empty directory', r(rename("$d/d2", "$d/empty"))
      . ' ' . ls("$d/empty") . ' ' . desc("$d/d2"));
  mk("$d/full");
  put("$d/full/x", 'x');
  mk("$d/dd");
  out('rename.09', 'rename a directory over a non-empty directory', r(rename("$d/dd", "$d/full")));
  out('rename.10', 'rename a file over a directory', r(rename("$d/b", "$d/dd")));
  out('rename.11', 'rename a directory over a file', r(rename("$d/dd", "$d/b")));
  out('rename.12', 'rename a directory into its own subdirectory',
      r(rename("$d/empty", "$d/empty/sub/x")));
  out('rename.13', 'rename a directory to itself', r(rename("$d/dd", "$d/dd")) . ' ' . desc("$d/dd"));
  past("$d/b");
  $w = watch("$d/b");
  out('rename.14', 'rename a file to itself', r(rename("$d/b", "$d/b")) . ' ' . desc("$d/b") . ' '
      . delta($w, "$d/b"));
  put("$d/h1", 'h');
  link("$d/h1", "$d/h2") or must(0, 'link');
  out('rename.15', 'rename between two names of one file', r(rename("$d/h1", "$d/h2")) . ' '
      . desc("$d/h1") . ' ' . desc("$d/h2"));
  mk("$d/p1");
  mk("$d/p2");
  mk("$d/p1/m");
  out('rename.16', 'parents before moving a directory', desc("$d/p1") . ' ' . desc("$d/p2"));
  past("$d/p1/m");
  $w = watch("$d/p1/m");
  out('rename.17', 'move a directory between directories: parents after',
      r(rename("$d/p1/m", "$d/p2/m")) . ' ' . desc("$d/p1") . ' ' . desc("$d/p2"));
  out('rename.18', 'times of the moved directory', delta($w, "$d/p1/m", "$d/p2/m"));
  out('rename.19', '".." of the moved directory is the new parent',
      same_file("$d/p2/m/..", "$d/p2"));
  out('rename.20', 'rename "."', r(rename("$d/p2/.", "$d/p3")));
  out('rename.21', 'rename a missing name', r(rename("$d/missing", "$d/x")));
  out('rename.22', 'rename into a missing directory', r(rename("$d/b", "$d/missing/x")));
  out('rename.23', 'rename below a file', r(rename("$d/b", "$d/c/x")));
  out('rename.24', 'rename to a 256-byte name', r(rename("$d/b", "$d/" . ('n' x 256))));
  mk("$d/flags");
  put("$d/flags/nr", 'nr');
  put("$d/flags/nr2", 'nr2');
  out('rename.25', 'renameat2 RENAME_NOREPLACE over an existing name',
      renameat2("$d/flags/nr", "$d/flags/nr2", RENAME_NOREPLACE) . ' ' . cat("$d/flags/nr2"));
  out('rename.26', 'renameat2 RENAME_NOREPLACE to a new name',
      renameat2("$d/flags/nr", "$d/flags/nr3", RENAME_NOREPLACE) . ' ' . desc("$d/flags/nr3"));
  out('rename.27', 'renameat2 RENAME_EXCHANGE', renameat2("$d/flags/nr2", "$d/flags/nr3",
      RENAME_EXCHANGE) . ' ' . cat("$d/flags/nr2") . ' ' . cat("$d/flags/nr3"));
  rmtree("$d/flags");
  symlink('target-of-sym', "$d/sym") or must(0, 'symlink');
  out('rename.28', 'rename a symlink renames the link', r(rename("$d/sym", "$d/sym2")) . ' '
      . desc("$d/sym2") . ' ' . esc(readlink("$d/sym2")));
  {
    put("$d/open", 'open-file');
    my $rc = r(sysopen(my $fh, "$d/open", O_RDONLY));
    my $got = '';
    if ($rc eq 'ok') {
      $rc .= ' ' . r(rename("$d/open", "$d/opened"));
      sysread($fh, $got, 100);
      close($fh);
    }
    out('rename.29', 'a file renamed while open still reads', "$rc read=$got");
  }

  $ino = sx("$l/ino");
  $w = watch("$l/f", $l, "$l/ino");
  out('rename.30', 'rename a lower file', r(rename("$l/f", "$l/f2")) . ' ' . desc("$l/f") . ' '
      . desc("$l/f2") . ' ' . cat("$l/f2"));
  out('rename.31', 'times of the renamed lower file', delta($w, "$l/f", "$l/f2"));
  out('rename.32', 'times of the lower directory', delta($w, $l));
  rename("$l/ino", "$l/ino2");
  out('rename.33', 'a renamed lower file keeps its inode',
      ($ino && sx("$l/ino2") && sx("$l/ino2")->{ino} == $ino->{ino}) ? 'same' : 'other');
  out('rename.34', 'rename a lower file over a lower file', r(rename("$l/g", "$l/victim")) . ' '
      . desc("$l/victim") . ' ' . cat("$l/victim") . ' ' . desc("$l/g"));
  out('rename.35', 'rename a lower directory merged from both layers, with a whiteout inside',
      r(rename("$l/tree", "$l/tree2")) . ' ' . desc("$l/tree") . ' ' . desc("$l/tree2") . ' '
      . ls("$l/tree2") . ' ' . ls("$l/tree2/sub") . ' ' . cat("$l/tree2/a") . ' '
      . cat("$l/tree2/b") . ' ' . cat("$l/tree2/sub/c") . ' ' . esc(readlink("$l/tree2/sym")));
  out('rename.36', 'mkdir at the old name of the renamed lower directory',
      r(mkdir("$l/tree", 0755)) . ' ' . ls("$l/tree"));
  out('rename.37', 'create the whited-out name in the renamed directory',
      put("$l/tree2/gone", 'new') . ' ' . cat("$l/tree2/gone") . ' ' . ls("$l/tree2"));
  out('rename.38', 'lower parents before moving a lower directory', desc("$l/p1") . ' '
      . desc("$l/p2"));
  $w = watch("$l/p1/moveme");
  out('rename.39', 'move a lower directory between lower directories',
      r(rename("$l/p1/moveme", "$l/p2/moveme")) . ' ' . desc("$l/p1") . ' ' . desc("$l/p2") . ' '
      . desc("$l/p2/moveme") . ' ' . ls("$l/p2/moveme"));
  out('rename.40', 'times of the moved lower directory', delta($w, "$l/p1/moveme", "$l/p2/moveme"));
  out('rename.41', '".." of the moved lower directory is the new parent',
      same_file("$l/p2/moveme/..", "$l/p2"));
  out('rename.42', 'rename a lower directory over a lower empty directory',
      r(rename("$l/d", "$l/empty")) . ' ' . ls("$l/empty") . ' ' . desc("$l/d"));
  out('rename.43', 'rename a lower directory over a lower non-empty directory',
      r(rename("$l/over", "$l/full")));
  out('rename.44', 'rename a lower file over a lower directory', r(rename("$l/f2", "$l/full")));
  out('rename.45', 'rename a lower directory over a lower file', r(rename("$l/over", "$l/f2")));
  out('rename.46', 'rename a lower directory into its own subdirectory',
      r(rename("$l/empty", "$l/empty/inner/x")));
  out('rename.47', 'rename between two lower names of one file', r(rename("$l/hl1", "$l/hl2"))
      . ' ' . desc("$l/hl1") . ' ' . desc("$l/hl2"));
  out('rename.48', 'rename a lower symlink', r(rename("$l/sym", "$l/sym2")) . ' ' . desc("$l/sym2")
      . ' ' . esc(readlink("$l/sym2")));
  out('rename.49', 'rename a new file into a lower directory and back',
      r(rename("$d/opened", "$l/target/in")) . ' ' . ls("$l/target") . ' '
      . r(rename("$l/target/in", "$d/back")) . ' ' . ls("$l/target") . ' ' . cat("$d/back"));
  out('rename.50', 'rename a lower file, then create the old name again',
      r(rename("$l/f2", "$l/f3")) . ' ' . put("$l/f2", 'second') . ' ' . cat("$l/f2") . ' '
      . cat("$l/f3"));
  out('rename.51', 'rename a lower directory into a new directory',
      r(rename("$l/over", "$d/over")) . ' ' . ls("$d/over") . ' ' . cat("$d/over/z") . ' '
      . desc("$d/over"));
  out('rename.52', 'the lower directory at the end', ls($l) . ' ' . desc($l));
}

sub sec_symlink {
  my $d = 'N/symlink';
  my $l = 'L/symlink';
  mk($d);
  my $i = 1;
  for my $target ('a//b/./c/', '../x', '/abs/path', 'with space', 'trailing/', 'x',
                  "caf\xc3\xa9", "\xff\xfe/bytes", 't' x 4095) {
    my $name = "$d/s$i";
    my $rc = r(symlink($target, $name));
    my $back = readlink($name);
    out(sprintf('symlink.%02d', $i), 'symlink and readlink of ' . esc(length $target > 60
        ? substr($target, 0, 10) . '...(' . length($target) . ' bytes)' : $target),
        "$rc " . desc($name) . ' ' . (defined $back && $back eq $target ? 'same-target'
        : 'target ' . esc($back)));
    $i++;
  }
  unlink("$d/s8");    # bytes that are not UTF-8: checked once, by symlink.08
  out('symlink.10', 'symlink with a 4096-byte target', r(symlink('t' x 4096, "$d/long")));
  out('symlink.11', 'symlink with an empty target', r(symlink('', "$d/empty")));
  out('symlink.12', 'symlink over an existing name', r(symlink('x', "$d/s1")));
  out('symlink.13', 'symlink over a lower name', r(symlink('x', "$l/f")));
  out('symlink.14', 'symlink into a missing directory', r(symlink('x', "$d/missing/x")));
  symlink('loopB', "$d/loopA") or must(0, 'symlink');
  symlink('loopA', "$d/loopB") or must(0, 'symlink');
  symlink('self', "$d/self") or must(0, 'symlink');
  out('symlink.15', 'open of a symlink loop', r(sysopen(my $fh, "$d/loopA", O_RDONLY)));
  out('symlink.16', 'stat of a symlink loop', desc("$d/loopA", 1));
  out('symlink.17', 'open of a symlink to itself', r(sysopen($fh, "$d/self", O_RDONLY)));
  out('symlink.18', 'O_CREAT through a symlink loop', r(sysopen($fh, "$d/loopA", O_WRONLY | O_CREAT,
      0644)));
  symlink('nowhere', "$d/dangling") or must(0, 'symlink');
  out('symlink.19', 'a dangling symlink: lstat, stat, open',
      desc("$d/dangling") . ' ' . desc("$d/dangling", 1) . ' '
      . r(sysopen($fh, "$d/dangling", O_RDONLY)));
  for my $case (['symlink.20', 'rel'], ['symlink.21', 'weird'], ['symlink.22', 'abs'],
                ['symlink.23', 'bytes'], ['symlink.24', 'loop1']) {
    my ($id, $name) = @$case;
    out($id, "readlink of the lower symlink $name", desc("$l/$name") . ' '
        . esc(readlink("$l/$name")));
  }
  unlink("$l/bytes");    # checked once, by symlink.23
  out('symlink.25', 'read through a lower relative symlink', cat("$l/rel"));
  out('symlink.26', 'open of a lower symlink loop', r(sysopen($fh, "$l/loop1", O_RDONLY)));
  out('symlink.27', 'readlink of a file', defined(readlink("$l/f")) ? 'ok' : errname());
  out('symlink.28', 'readlink of a missing name', defined(readlink("$l/missing")) ? 'ok' : errname());
  past($d);
  my $w = watch($d, $l);
  out('symlink.29', 'symlink changes the directory times', r(symlink('x', "$d/new")) . ' '
      . delta($w, $d));
  out('symlink.30', 'symlink in a lower directory', r(symlink('f', "$l/new")) . ' '
      . desc("$l/new") . ' ' . delta($w, $l) . ' ' . cat("$l/new"));
  out('symlink.31', 'stat through a symlink to a directory', desc("$d/..", 1) =~ /^dir/ ? 'dir'
      : 'not-dir');
  symlink('..', "$d/up") or must(0, 'symlink');
  out('symlink.32', 'a path through a symlink to ".."', same_file("$d/up/symlink", $d));
}

sub sec_truncate {
  my $d = 'N/truncate';
  my $l = 'L/truncate';
  mk($d);
  put("$d/f", '12345');
  past("$d/f");
  my $w = watch("$d/f");
  out('truncate.01', 'truncate a file longer', r(truncate("$d/f", 10000)) . ' ' . size_of("$d/f")
      . ' ' . zeros("$d/f", 5, 10000) . ' ' . delta($w, "$d/f"));
  past("$d/f");
  $w = watch("$d/f");
  out('truncate.02', 'truncate a file shorter', r(truncate("$d/f", 3)) . ' ' . cat("$d/f") . ' '
      . delta($w, "$d/f"));
  past("$d/f");
  $w = watch("$d/f");
  out('truncate.03', 'truncate to the same size', r(truncate("$d/f", 3)) . ' ' . cat("$d/f") . ' '
      . delta($w, "$d/f"));
  {
    my $rc = r(sysopen(my $fh, "$d/f", O_RDWR));
    my @res;
    if ($rc eq 'ok') {
      push @res, r(truncate($fh, 8)), fstat_desc($fh);
      push @res, r(truncate($fh, 1)), fstat_desc($fh);
      close($fh);
    }
    out('truncate.04', 'ftruncate longer then shorter', join(' ', $rc, @res) . ' ' . cat("$d/f"));
    $rc = r(sysopen($fh, "$d/f", O_RDONLY));
    $rc .= ' ' . r(truncate($fh, 0)) if $rc eq 'ok';
    close($fh) if $fh;
    out('truncate.05', 'ftruncate of a read-only descriptor', $rc);
  }
  mk("$d/dir");
  POSIX::mkfifo("$d/fifo", 0644) or must(0, 'mkfifo');
  out('truncate.06', 'truncate a directory', r(truncate("$d/dir", 0)));
  out('truncate.07', 'truncate a missing name', r(truncate("$d/missing", 0)));
  out('truncate.08', 'truncate a fifo', r(truncate("$d/fifo", 0)));
  out('truncate.09', 'truncate to a negative size', r(truncate("$d/f", -1)));
  $w = watch("$l/grow", "$l/shrink", "$l/zero", "$l/same", $l);
  out('truncate.10', 'truncate a lower file longer', r(truncate("$l/grow", 10000)) . ' '
      . size_of("$l/grow") . ' ' . zeros("$l/grow", 5, 10000) . ' '
      . substr(cat("$l/grow"), 0, 6) . ' ' . delta($w, "$l/grow"));
  out('truncate.11', 'truncate a lower file shorter', r(truncate("$l/shrink", 3)) . ' '
      . cat("$l/shrink") . ' ' . delta($w, "$l/shrink"));
  out('truncate.12', 'truncate a lower file of the top layer to 0', r(truncate("$l/zero", 0))
      . ' ' . desc("$l/zero") . ' ' . delta($w, "$l/zero"));
  out('truncate.13', 'truncate a lower file to its size', r(truncate("$l/same", 4)) . ' '
      . cat("$l/same") . ' ' . delta($w, "$l/same"));
  out('truncate.14', 'the lower directory after truncating its files', delta($w, $l));
  {
    my $rc = r(sysopen(my $fh, "$l/ft", O_RDWR));
    $rc .= ' ' . r(truncate($fh, 9)) . ' ' . fstat_desc($fh) if $rc eq 'ok';
    close($fh) if $fh;
    out('truncate.15', 'ftruncate of a lower file', "$rc " . cat("$l/ft"));
  }
  out('truncate.16', 'truncate a lower directory', r(truncate("$l/dir", 0)));
  out('truncate.17', 'truncate a lower fifo', r(truncate("$l/fifo", 0)));
}

sub sec_utimens {
  my $d = 'N/utimens';
  my $l = 'L/utimens';
  mk($d);
  put("$d/f", 'f');
  past("$d/f");
  my $w = watch("$d/f");
  out('utimens.01', 'set both times to the nanosecond',
      rs(utimens("$d/f", [1234567890, 123456789], [1300000000, 987654321])) . ' '
      . times_of("$d/f") . ' ' . cdelta($w, "$d/f"));
  out('utimens.02', 'UTIME_OMIT for atime', rs(utimens("$d/f", undef, [1300000001, 5])) . ' '
      . times_of("$d/f"));
  out('utimens.03', 'UTIME_OMIT for mtime', rs(utimens("$d/f", [1200000000, 999999999], undef))
      . ' ' . times_of("$d/f"));
  $w = watch("$d/f");
  out('utimens.04', 'UTIME_OMIT for both', rs(utimens("$d/f", undef, undef)) . ' '
      . times_of("$d/f") . ' ' . cdelta($w, "$d/f"));
  $w = watch("$d/f");
  my $before = sx("$d/f");
  out('utimens.05', 'NULL times (now)', rs(utimens("$d/f", undef, undef, 0, 1)) . ' '
      . delta($w, "$d/f") . ' atime ' . (sx("$d/f")->{a} eq $before->{a} ? 'same' : 'changed'));
  past("$d/f");
  $w = watch("$d/f");
  out('utimens.06', 'UTIME_NOW for mtime, UTIME_OMIT for atime',
      rs(utimens("$d/f", undef, 'now')) . ' ' . delta($w, "$d/f") . ' atime '
      . (sx("$d/f")->{a} eq sprintf('%d.%09d', @{+PAST_A}) ? 'same' : 'changed'));
  out('utimens.07', 'a time before 1970', rs(utimens("$d/f", [-100001, 500000000],
      [-1, 999999999])) . ' ' . times_of("$d/f"));
  out('utimens.08', 'a time after 2106', rs(utimens("$d/f", [4294967296, 1], [8589934591, 7]))
      . ' ' . times_of("$d/f"));
  out('utimens.09', 'nanoseconds out of range', rs(utimens("$d/f", [0, 1000000000], [0, 0])));
  symlink('f', "$d/sym") or must(0, 'symlink');
  past("$d/f");
  out('utimens.10', 'AT_SYMLINK_NOFOLLOW sets the symlink\'s own times',
      rs(utimens("$d/sym", [1111111111, 1], [1222222222, 2], 1)) . ' ' . times_of("$d/sym")
      . ' target ' . times_of("$d/f"));
  out('utimens.11', 'without AT_SYMLINK_NOFOLLOW the target\'s',
      rs(utimens("$d/sym", [1333333333, 3], [1444444444, 4])) . ' ' . times_of("$d/f"));
  $w = watch("$l/f", $l);
  out('utimens.12', 'set the times of a lower file',
      rs(utimens("$l/f", [1234567890, 123456789], [1300000000, 987654321])) . ' '
      . times_of("$l/f") . ' ' . cat("$l/f") . ' ' . cdelta($w, "$l/f") . ' parent '
      . mdelta($w, $l));
  out('utimens.13', 'set the times of a lower directory',
      rs(utimens("$l/d", [1500000000, 5], [1600000000, 6])) . ' ' . times_of("$l/d") . ' '
      . ls("$l/d"));
  out('utimens.14', 'set the times of a lower symlink itself',
      rs(utimens("$l/sym", [1700000000, 7], [1710000000, 8], 1)) . ' ' . times_of("$l/sym")
      . ' target m=' . (mtime_of("$l/g") eq OLD ? 'OLD' : 'changed'));
  out('utimens.15', 'set the times of a lower fifo', rs(utimens("$l/fifo", [1, 2], [3, 4])) . ' '
      . times_of("$l/fifo"));
  out('utimens.16', 'utime() with whole seconds', r(utime(1, 2, "$d/f")) . ' ' . times_of("$d/f"));
  past("$d/f");
  $w = watch("$d/f");
  out('utimens.17', 'utime(undef, undef) sets now', r(utime(undef, undef, "$d/f")) . ' '
      . delta($w, "$d/f"));
  out('utimens.18', 'utimensat of a missing name', rs(utimens("$d/missing", [1, 1], [1, 1])));
  out('utimens.19', 'set the times of a lower file of the top layer through a symlink',
      rs(utimens("$l/sym", [1800000000, 9], [1810000000, 10])) . ' ' . times_of("$l/g"));
}

sub sec_xattr {
  my $d = 'N/xattr';
  my $l = 'L/xattr';
  mk($d);
  put("$d/f", 'f');
  past("$d/f");
  my $w = watch("$d/f");
  out('xattr.01', 'set user.a', setx("$d/f", 'user.a', '1') . ' ' . getx("$d/f", 'user.a') . ' '
      . listx("$d/f") . ' ' . delta($w, "$d/f"));
  out('xattr.02', 'XATTR_CREATE of an existing attribute', setx("$d/f", 'user.a', '2', XATTR_CREATE));
  out('xattr.03', 'XATTR_REPLACE of a missing attribute', setx("$d/f", 'user.b', '2', XATTR_REPLACE));
  out('xattr.04', 'XATTR_REPLACE of an existing attribute',
      setx("$d/f", 'user.a', 'new', XATTR_REPLACE) . ' ' . getx("$d/f", 'user.a'));
  out('xattr.05', 'XATTR_CREATE of a new attribute',
      setx("$d/f", 'user.b', 'b', XATTR_CREATE) . ' ' . listx("$d/f"));
  out('xattr.06', 'remove an attribute', rmx("$d/f", 'user.a') . ' ' . getx("$d/f", 'user.a') . ' '
      . listx("$d/f"));
  out('xattr.07', 'remove a missing attribute', rmx("$d/f", 'user.a'));
  out('xattr.08', 'get a missing attribute', getx("$d/f", 'user.zzz'));
  out('xattr.09', 'an empty value', setx("$d/f", 'user.empty', '') . ' ' . getx("$d/f", 'user.empty')
      . ' ' . getx("$d/f", 'user.empty', 0));
  my $big = join('', map { chr(($_ * 7) % 251) } 0 .. 3999);
  out('xattr.10', 'a 4000-byte value', setx("$d/f", 'user.big', $big) . ' '
      . getx("$d/f", 'user.big', 0) . ' ' . (getx("$d/f", 'user.big') eq '"' . esc($big) . '"'
      ? 'same-value' : 'other-value'));
  out('xattr.11', 'get with a too small buffer', getx("$d/f", 'user.big', 10));
  out('xattr.12', 'a 256-byte name', setx("$d/f", 'user.' . ('n' x 251), 'x'));
  out('xattr.13', 'a 255-byte name', setx("$d/f", 'user.' . ('n' x 250), 'x') . ' '
      . getx("$d/f", 'user.' . ('n' x 250)));
  out('xattr.14', 'a value over 64 KiB', setx("$d/f", 'user.huge', 'h' x 65537));
  out('xattr.15', 'an unknown namespace', setx("$d/f", 'foo.bar', 'x'));
  out('xattr.16', 'trusted.* as root', setx("$d/f", 'trusted.t', 'tv') . ' '
      . getx("$d/f", 'trusted.t'));
  symlink('f', "$d/sym") or must(0, 'symlink');
  POSIX::mkfifo("$d/fifo", 0644) or must(0, 'mkfifo');
  out('xattr.17', 'user.* on a symlink', setx("$d/sym", 'user.a', '1'));
  out('xattr.18', 'user.* on a fifo', setx("$d/fifo", 'user.a', '1'));
  out('xattr.19', 'trusted.* on a symlink', setx("$d/sym", 'trusted.s', '1') . ' '
      . getx("$d/sym", 'trusted.s') . ' ' . listx("$d/sym"));
  mk("$d/dir");
  out('xattr.20', 'user.* on a directory', setx("$d/dir", 'user.d', 'dv') . ' ' . listx("$d/dir"));
  out('xattr.21', 'a missing name', setx("$d/missing", 'user.a', '1') . ' '
      . getx("$d/missing", 'user.a') . ' ' . listx("$d/missing"));

  out('xattr.22', 'list and get on a lower file', listx("$l/f") . ' ' . getx("$l/f", 'user.two')
      . ' ' . getx("$l/f", 'trusted.t'));
  $w = watch("$l/f", $l);
  out('xattr.23', 'set a new attribute on a lower file', setx("$l/f", 'user.three', '3') . ' '
      . listx("$l/f") . ' ' . cat("$l/f") . ' ' . delta($w, "$l/f") . ' parent ' . mdelta($w, $l));
  out('xattr.24', 'remove an attribute of a lower file', rmx("$l/f", 'user.one') . ' '
      . listx("$l/f") . ' ' . getx("$l/f", 'user.one'));
  out('xattr.25', 'XATTR_REPLACE on a lower file', setx("$l/g", 'user.hi', 'replaced',
      XATTR_REPLACE) . ' ' . getx("$l/g", 'user.hi'));
  out('xattr.26', 'XATTR_CREATE of an existing attribute of a lower file',
      setx("$l/dump", 'user.a', 'x', XATTR_CREATE) . ' ' . getx("$l/dump", 'user.a'));
  out('xattr.27', 'remove a missing attribute of a lower file', rmx("$l/dump", 'user.none'));
  out('xattr.28', 'attributes of a lower directory', listx("$l/d") . ' ' . setx("$l/d", 'user.n', 'n')
      . ' ' . listx("$l/d") . ' ' . ls("$l/d"));
  out('xattr.29', 'attributes of an opaque lower directory', listx("$l/opq") . ' ' . ls("$l/opq"));
  out('xattr.30', 'user.* on a lower symlink', setx("$l/sym", 'user.a', '1'));
  {
    my $dump = `getfattr --absolute-names -d -m - -e text $l/dump 2>&1`;
    $dump =~ s/^#.*\n//mg;
    out('xattr.31', 'getfattr -d -m - of a lower file', esc(join(';', sort grep { length }
        split /\n/, $dump)));
    my $rc = system('setfattr', '-n', 'user.cli', '-v', 'from-setfattr', "$d/f") == 0 ? 'ok'
        : 'failed';
    my $got = `getfattr --absolute-names --only-values -n user.cli $d/f 2>&1`;
    out('xattr.32', 'setfattr, then getfattr --only-values', "$rc " . esc($got));
  }
}

sub sec_io {
  my $d = 'N/io';
  my $l = 'L/io';
  mk($d);
  my $fh;
  {
    my $rc = r(sysopen($fh, "$d/holes", O_RDWR | O_CREAT | O_EXCL, 0644));
    if ($rc eq 'ok') {
      sysseek($fh, 1048581, SEEK_SET);
      syswrite($fh, 'end');
      close($fh);
    }
    out('io.01', 'seek past the end and write: a hole reads as zeros', "$rc "
        . size_of("$d/holes") . ' ' . zeros("$d/holes", 0, 1048581) . ' ' . sum("$d/holes"));
  }
  {
    put("$d/f", '0123456789');
    my $rc = r(sysopen($fh, "$d/f", O_RDWR));
    my @res;
    if ($rc eq 'ok') {
      sysseek($fh, 4, SEEK_SET);
      syswrite($fh, 'AB');
      push @res, 'pos=' . (sysseek($fh, 0, SEEK_CUR) + 0);
      push @res, 'end=' . (sysseek($fh, 0, SEEK_END) + 0);
      my $n = sysread($fh, my $buf, 10);
      push @res, "eof-read=$n";
      sysseek($fh, 100, SEEK_SET);
      $n = sysread($fh, $buf, 10);
      push @res, "beyond-read=$n";
      push @res, 'size-after-seek=' . (stat($fh))[7];
      close($fh);
    }
    out('io.02', 'write in the middle, positions, reads at and past the end',
        join(' ', $rc, @res) . ' ' . cat("$d/f"));
  }
  {
    put("$d/two", '');
    my $rc = r(sysopen(my $w1, "$d/two", O_WRONLY)) . ' ' . r(sysopen(my $r1, "$d/two", O_RDONLY));
    my $got = '';
    my $fs = '';
    if ($rc eq 'ok ok') {
      syswrite($w1, 'written-by-one');
      sysread($r1, $got, 100);
      $fs = fstat_desc($r1);
      close($w1);
      close($r1);
    }
    out('io.03', 'a write through one descriptor is read through another', "$rc read=$got $fs");
  }
  my $w = watch("$l/f", $l);
  {
    my $rc = r(sysopen($fh, "$l/f", O_WRONLY));
    if ($rc eq 'ok') { sysseek($fh, 3, SEEK_SET); syswrite($fh, 'XY'); close($fh) }
    out('io.04', 'write in the middle of a lower file', "$rc " . cat("$l/f") . ' ' . size_of("$l/f")
        . ' ' . delta($w, "$l/f") . ' parent ' . mdelta($w, $l));
  }
  {
    my $before = sum("$l/big");
    my $rc = r(sysopen($fh, "$l/big", O_RDWR));
    if ($rc eq 'ok') { sysseek($fh, 100000, SEEK_SET); syswrite($fh, 'HELLO'); close($fh) }
    out('io.05', 'write in the middle of a big lower file', "before $before $rc after "
        . sum("$l/big") . ' ' . size_of("$l/big"));
  }
  {
    my $rc = r(sysopen($fh, "$l/g", O_WRONLY));
    if ($rc eq 'ok') { sysseek($fh, 20, SEEK_SET); syswrite($fh, 'end'); close($fh) }
    out('io.06', 'write past the end of a lower file', "$rc " . size_of("$l/g") . ' '
        . zeros("$l/g", 10, 20) . ' ' . cat("$l/g"));
  }
  {
    my $rc = r(sysopen($fh, "$l/big", O_WRONLY | O_APPEND));
    my $pos = '';
    if ($rc eq 'ok') { syswrite($fh, 'tail'); $pos = sysseek($fh, 0, SEEK_CUR) + 0; close($fh) }
    out('io.07', 'O_APPEND to a big lower file', "$rc pos=$pos " . size_of("$l/big"));
  }
  {
    # A descriptor opened for reading before another one writes (and copies the file up).
    my $rc = r(sysopen(my $rd, "$l/shared", O_RDONLY));
    my $got = '';
    if ($rc eq 'ok') {
      $rc .= ' ' . r(sysopen(my $wr, "$l/shared", O_WRONLY | O_TRUNC));
      syswrite($wr, 'after') if $wr;
      close($wr) if $wr;
      sysseek($rd, 0, SEEK_SET);
      sysread($rd, $got, 100);
      close($rd);
    }
    out('io.08', 'a lower file read through a descriptor opened before another one wrote it',
        "$rc read=$got");
  }
}

sub sec_readdir {
  my $l = 'L/readdir';
  my $d = 'N/readdir';
  out('readdir.01', 'a merged lower directory', ls($l));
  out('readdir.02', 'a name in both layers: the top one', desc("$l/c") . ' ' . cat("$l/c"));
  out('readdir.03', 'an opaque lower directory', ls("$l/opq") . ' ' . desc("$l/opq"));
  out('readdir.04', 'a directory over a lower file', desc("$l/replaced") . ' ' . ls("$l/replaced"));
  out('readdir.05', 'a file over a lower directory', desc("$l/dirtofile") . ' '
      . cat("$l/dirtofile") . ' ' . desc("$l/dirtofile/x"));
  out('readdir.06', 'a whited-out name', desc("$l/gone"));
  unlink("$l/a");
  put("$l/z", 'z');
  mkdir("$l/y", 0755);
  rename("$l/sub", "$l/sub2");
  put("$l/gone", 'back');
  unlink("$l/c");
  out('readdir.07', 'the merged directory after unlink, create, mkdir, rename, re-create', ls($l)
      . ' ' . cat("$l/gone") . ' ' . desc($l));
  out('readdir.08', 'unlink and rmdir the renamed lower directory',
      r(unlink("$l/sub2/x")) . ' ' . r(rmdir("$l/sub2")) . ' ' . ls($l));
  out('readdir.09', 'empty the opaque directory, remove it, make it again',
      r(unlink("$l/opq/new")) . ' ' . r(rmdir("$l/opq")) . ' ' . r(mkdir("$l/opq", 0755)) . ' '
      . ls("$l/opq") . ' ' . desc("$l/opq"));
  out('readdir.10', 'replace the file over a lower directory by a directory',
      r(unlink("$l/dirtofile")) . ' ' . r(mkdir("$l/dirtofile", 0755)) . ' '
      . ls("$l/dirtofile"));
  {
    opendir(my $dh, $l) or must(0, 'opendir');
    my @all = $dh ? readdir($dh) : ();
    closedir($dh) if $dh;
    my %has = map { $_ => 1 } @all;
    out('readdir.11', 'the listing has "." and ".." and each name once',
        ($has{'.'} ? 'dot ' : '') . ($has{'..'} ? 'dotdot ' : '') . 'count=' . scalar(@all)
        . ' distinct=' . scalar(keys %has));
  }
  mk($d);
  put("$d/$_", $_) for qw(c a b);
  mk("$d/sub");
  unlink("$d/b");
  rename("$d/c", "$d/sub/c");
  symlink('a', "$d/link") or must(0, 'symlink');
  out('readdir.12', 'a new directory after create, unlink, rename, symlink', ls($d) . ' '
      . ls("$d/sub"));
  {
    # Names removed during a listing: each name is seen at most once.
    put("$d/r$_", $_) for 1 .. 40;
    opendir(my $dh, $d) or must(0, 'opendir');
    my %seen;
    my $dups = 0;
    my $first = 1;
    while (defined(my $name = readdir($dh))) {
      $dups++ if $seen{$name}++;
      if ($first) { unlink("$d/r$_") for 1 .. 40; $first = 0 }
    }
    closedir($dh);
    out('readdir.13', 'unlink during a listing: no name twice', "dups=$dups " . ls($d));
  }
}

sub sec_nlink {
  my $l = 'L/nlink';
  my $d = 'N/nlink';
  out('nlink.01', 'a merged directory: 2 + subdirectories of both layers, minus whiteouts',
      desc("$l/m") . ' ' . ls("$l/m"));
  out('nlink.02', 'its parent', desc($l));
  out('nlink.03', 'mkdir in it', r(mkdir("$l/m/s5", 0755)) . ' ' . desc("$l/m"));
  out('nlink.04', 'rmdir a lower subdirectory', r(rmdir("$l/m/s1")) . ' ' . desc("$l/m"));
  out('nlink.05', 'move a lower subdirectory out', r(rename("$l/m/s2", "$l/s2")) . ' '
      . desc("$l/m") . ' ' . desc($l));
  out('nlink.06', 'rename a subdirectory inside', r(rename("$l/m/s3", "$l/m/s3b")) . ' '
      . desc("$l/m"));
  out('nlink.07', 'replace a file by a directory', r(unlink("$l/m/f")) . ' '
      . r(mkdir("$l/m/f", 0755)) . ' ' . desc("$l/m"));
  out('nlink.08', 'a directory made where a subdirectory was whited out',
      r(mkdir("$l/m/wh", 0755)) . ' ' . desc("$l/m") . ' ' . ls("$l/m/wh"));
  mk($d);
  mk("$d/$_") for qw(a b c);
  put("$d/f", 'f');
  out('nlink.09', 'a new directory with 3 subdirectories and a file', desc($d));
  out('nlink.10', 'the root of the tree', desc('.'));
}

sub sec_names {
  my $d = 'N/names';
  mk($d);
  my $n255 = 'x' x 255;
  out('names.01', 'a 255-byte name', put("$d/$n255", 'x') . ' ' . desc("$d/$n255") . ' '
      . (ls($d) =~ /\[x{255}\]/ ? 'listed' : 'not-listed') . ' ' . r(unlink("$d/$n255")));
  my $n256 = 'y' x 256;
  out('names.02', 'a 256-byte name: create, stat, mkdir, symlink, unlink', put("$d/$n256", 'x')
      . ' ' . desc("$d/$n256") . ' ' . r(mkdir("$d/$n256", 0755)) . ' '
      . r(symlink('x', "$d/$n256")) . ' ' . r(unlink("$d/$n256")));
  out('names.03', 'a 256-byte name in a lower directory', put("L/$n256", 'x'));
  my $u255 = ("\xc3\xa9" x 127) . 'e';
  out('names.04', 'a 255-byte name of 2-byte characters', put("$d/$u255", 'u') . ' '
      . desc("$d/$u255") . ' ' . r(unlink("$d/$u255")));
  out('names.05', 'a 256-byte name of 2-byte characters', put("$d/" . ("\xc3\xa9" x 128), 'u'));
  my $long = join('/', ('z' x 255) x 16);    # 4095 bytes
  out('names.06', 'a missing path of 4095 bytes', r(sysopen(my $fh, $long, O_RDONLY)));
  out('names.07', 'a path of 4096 bytes', r(sysopen($fh, "$long/", O_RDONLY)));
  out('names.08', 'a path of 4097 bytes', r(sysopen($fh, "$long/z", O_RDONLY)));
  {
    # Directories whose relative path reaches PATH_MAX - 1 bytes, then a file at the end.
    my $base = "$d/deep";
    mk($base);
    my $path = $base;
    my $rc = 'ok';
    while (length($path) + 256 < 4095) {
      $path .= '/' . ('d' x 255);
      $rc = r(mkdir($path, 0755));
      last if $rc ne 'ok';
    }
    my $file = $path . '/' . ('f' x (4095 - length($path) - 1));
    $rc .= ' ' . put($file, 'at PATH_MAX - 1') if $rc eq 'ok';
    out('names.09', 'a file whose relative path is 4095 bytes long', "$rc len=" . length($file)
        . ' ' . cat($file) . ' ' . desc($file));
    rmtree($base);
  }
  my $i = 10;
  for my $name ('a b', "tab\there", "new\nline", 'star*', '-dash', '.hidden', '...', "\xff\xfe",
                "caf\xc3\xa9", '.wh.x', '.refcache-tmp-1', '.fuse_hidden0000000100000001',
                '#hash', 'back\\slash') {
    my $path = "$d/$name";
    out(sprintf('names.%02d', $i++), 'the name ' . esc($name), put($path, "content of $name")
        . ' ' . desc($path) . ' ' . cat($path) . ' ' . (index(ls($d), esc($name)) >= 0
        ? 'listed' : 'not-listed'));
  }
  out('names.25', 'unlink every name', join(' ', map { r(unlink("$d/$_")) } ('a b', "tab\there",
      "new\nline", 'star*', '-dash', '.hidden', '...', "\xff\xfe", "caf\xc3\xa9", '.wh.x',
      '.refcache-tmp-1', '.fuse_hidden0000000100000001', '#hash', 'back\\slash')) . ' ' . ls($d));
}

sub sec_copyup {
  my $l = 'L/cu';
  out('cu.01', 'a lower file with setuid, owner, xattrs', desc("$l/all") . ' ' . listx("$l/all"));
  my $w = watch("$l/all", $l);
  out('cu.02', 'chmod 4755 of it keeps everything else', r(chmod(04755, "$l/all")) . ' '
      . desc("$l/all") . ' ' . listx("$l/all") . ' ' . getx("$l/all", 'trusted.k') . ' '
      . cat("$l/all") . ' ' . mdelta($w, "$l/all") . ' parent ' . mdelta($w, $l));
  out('cu.03', 'a lower setgid directory: create in it', put("$l/d/new", 'n') . ' '
      . desc("$l/d") . ' ' . listx("$l/d") . ' ' . desc("$l/d/new") . ' ' . ls("$l/d") . ' '
      . desc("$l/d/x"));
  out('cu.04', 'chown of a lower device', r(chown(1, 2, "$l/dev")) . ' ' . desc("$l/dev"));
  out('cu.05', 'chmod of a lower fifo', r(chmod(0660, "$l/fifo")) . ' ' . desc("$l/fifo"));
  out('cu.06', 'lchown of a lower symlink', r(POSIX::lchown(3, 4, "$l/sym")) . ' '
      . desc("$l/sym") . ' ' . esc(readlink("$l/sym")) . ' target ' . desc("$l/all"));
  # A directory's inode number does not change when a file is made in it or when it is renamed
  # (on a union, both copy the directory up).
  for my $dir ('plain', 'merged') {
    my $before = sx("$l/$dir");
    my $same = sub { my $now = sx($_[0]); return $before && $now && $now->{ino} == $before->{ino}
                                                 ? 'same-inode' : 'other-inode' };
    out("cu.07.$dir", "a lower directory ($dir) keeps its inode when a file is made in it",
        put("$l/$dir/new", 'n') . ' ' . $same->("$l/$dir"));
    out("cu.08.$dir", "and when it is renamed", r(rename("$l/$dir", "$l/$dir-moved")) . ' '
        . $same->("$l/$dir-moved") . ' ' . ls("$l/$dir-moved"));
  }
}

# Entries for the unprivileged user's checks, made by root (the lower ones are in LAYERS).
sub prep_user {
  my $d = 'N/perm';
  umask(0);
  my @dirs = (['', 0755, 0, 0], ['d555', 0555, 65534, 65534], ['d600', 0600, 65534, 65534],
              ['d311', 0311, 65534, 65534], ['sticky', 01777, 0, 0],
              ['sgid-dir', 02777, 0, 100], ['userdir', 0755, 65534, 65534],
              ['userdir/mv', 0555, 65534, 65534], ['userdir2', 0755, 65534, 65534]);
  my @files = (['ro-own', 0444, 65534, 65534, 'ro'], ['d555/inside', 0644, 65534, 65534, 'in'],
               ['d600/x', 0644, 65534, 65534, 'x'], ['d311/f', 0644, 65534, 65534, 'f'],
               ['sticky/rootfile', 0666, 0, 0, 'r'], ['sticky/userfile', 0644, 65534, 65534, 'u'],
               ['rootfile', 0644, 0, 0, 'r'], ['rootw', 0666, 0, 0, 'w'],
               ['own', 0644, 65534, 65534, 'own'], ['own-g0', 0644, 65534, 0, 'own'],
               ['suid', 04755, 65534, 65534, '12345'], ['suid2', 04755, 65534, 65534, '12345'],
               ['suid3', 04755, 65534, 65534, '12345'], ['suid4', 04755, 65534, 65534, '12345'],
               ['sgidx', 02775, 65534, 65534, '12345'], ['sgidnx', 02765, 65534, 65534, '12345'],
               ['root600', 0600, 0, 0, 'secret']);
  for (@dirs) {
    my ($name, $mode, $uid, $gid) = @$_;
    my $path = $name eq '' ? $d : "$d/$name";
    mk($path, 0700);
  }
  for (@files) {
    my ($name, $mode, $uid, $gid, $content) = @$_;
    put("$d/$name", $content, 0600) eq 'ok' or must(0, "create $d/$name");
    must(chown($uid, $gid, "$d/$name"), "chown $d/$name");
    must(chmod($mode, "$d/$name"), "chmod $d/$name");
  }
  for (reverse @dirs) {
    my ($name, $mode, $uid, $gid) = @$_;
    my $path = $name eq '' ? $d : "$d/$name";
    must(chown($uid, $gid, $path), "chown $path");
    must(chmod($mode, $path), "chmod $path");
  }
  umask(022);
}

sub phase_root {
  umask(022);
  walk('tree0', 'L', 1);
  mk('N');
  sec_open();
  sec_mk();
  sec_chmod();
  sec_chown();
  sec_link();
  sec_unlink();
  sec_rmdir();
  sec_rename();
  sec_symlink();
  sec_truncate();
  sec_utimens();
  sec_xattr();
  sec_io();
  sec_readdir();
  sec_nlink();
  sec_names();
  sec_copyup();
  prep_user();
  if (@LATER) {
    Time::HiRes::sleep(1.2);    # past the kernel's attribute timeout of the FUSE view (1 s)
    $_->() for @LATER;
  }
}

# ==================================================================================================
# Unprivileged phase (uid 65534, gid 65534, no supplementary groups)
# ==================================================================================================

sub user_checks {
  my ($p, $b) = @_;    # id prefix, base directory
  my $fh;
  umask(022);
  out("$p.01", 'open for writing a 0444 file of ours', r(sysopen($fh, "$b/ro-own", O_WRONLY)));
  out("$p.02", 'open it for reading', r(sysopen($fh, "$b/ro-own", O_RDONLY)) . ' '
      . cat("$b/ro-own"));
  close($fh) if $fh;
  out("$p.03", 'access(W_OK) of it', r(POSIX::access("$b/ro-own", POSIX::W_OK())));
  out("$p.04", 'create in a 0555 directory of ours', put("$b/d555/new", 'x'));
  out("$p.05", 'mkdir in it', r(mkdir("$b/d555/newdir", 0755)));
  out("$p.06", 'unlink in it', r(unlink("$b/d555/inside")));
  out("$p.07", 'rename in it', r(rename("$b/d555/inside", "$b/d555/renamed")));
  out("$p.08", 'O_CREAT of an existing writable file in it',
      r(sysopen($fh, "$b/d555/inside", O_WRONLY | O_CREAT, 0644)));
  close($fh) if $fh;
  out("$p.09", 'stat through a 0600 directory', desc("$b/d600/x"));
  out("$p.10", 'open through it', r(sysopen($fh, "$b/d600/x", O_RDONLY)));
  out("$p.11", 'list it (read permission without search)', ls("$b/d600"));
  out("$p.12", 'list a 0311 directory', ls("$b/d311"));
  out("$p.13", 'open through it (search without read)', cat("$b/d311/f"));
  out("$p.14", 'sticky directory: unlink root\'s file', r(unlink("$b/sticky/rootfile")));
  out("$p.15", 'sticky directory: rename root\'s file', r(rename("$b/sticky/rootfile",
      "$b/sticky/mine")));
  out("$p.16", 'sticky directory: write root\'s 0666 file', put("$b/sticky/rootfile", 'written'));
  out("$p.17", 'sticky directory: unlink our own file', r(unlink("$b/sticky/userfile")) . ' '
      . ls("$b/sticky"));
  out("$p.18", 'sticky directory: create and rename our own file', put("$b/sticky/new", 'n') . ' '
      . r(rename("$b/sticky/new", "$b/sticky/new2")) . ' ' . desc("$b/sticky/new2"));
  out("$p.19", 'chmod root\'s file', r(chmod(0666, "$b/rootfile")));
  out("$p.20", 'chown our file to root', r(chown(0, 0, "$b/own")));
  out("$p.21", 'chgrp our file to group 0', r(chown(-1, 0, "$b/own")));
  out("$p.22", 'chgrp our file to our group', r(chown(-1, 65534, "$b/own")) . ' ' . desc("$b/own"));
  out("$p.23", 'chmod our file', r(chmod(0600, "$b/own")) . ' ' . desc("$b/own"));
  out("$p.24", 'chmod 2755 of our file of group 0 drops setgid', r(chmod(02755, "$b/own-g0"))
      . ' ' . desc("$b/own-g0"));
  out("$p.25", 'utimensat with times of root\'s 0666 file', rs(utimens("$b/rootw", [1, 1], [2, 2])));
  out("$p.26", 'utimensat NULL of root\'s 0666 file', rs(utimens("$b/rootw", undef, undef, 0, 1)));
  out("$p.27", 'utimensat NULL of root\'s 0644 file', rs(utimens("$b/rootfile", undef, undef, 0,
      1)));
  out("$p.28", 'utimensat with times of our file', rs(utimens("$b/own", [5, 5], [6, 6])) . ' '
      . times_of("$b/own"));
  {
    my $rc = r(sysopen($fh, "$b/suid", O_WRONLY | O_APPEND));
    if ($rc eq 'ok') { syswrite($fh, '678'); close($fh) }
    out("$p.29", 'a write to our setuid file drops setuid', "$rc " . desc("$b/suid") . ' '
        . cat("$b/suid"));
  }
  out("$p.30", 'truncate of our setuid file drops setuid', r(truncate("$b/suid2", 2)) . ' '
      . desc("$b/suid2"));
  out("$p.31", 'create in a setgid directory of group 100', put("$b/sgid-dir/f", 'f') . ' '
      . desc("$b/sgid-dir/f"));
  out("$p.32", 'mkdir in it', r(mkdir("$b/sgid-dir/d", 0777)) . ' ' . desc("$b/sgid-dir/d"));
  out("$p.33", 'create with mode 02777 in it (not our group)', do {
        my $rc = r(sysopen(my $g, "$b/sgid-dir/g", O_WRONLY | O_CREAT | O_EXCL, 02777));
        close($g) if $g;
        "$rc " . desc("$b/sgid-dir/g") });
  out("$p.34", 'open root\'s 0600 file', r(sysopen($fh, "$b/root600", O_RDONLY)));
  out("$p.35", 'hard link to root\'s 0600 file', r(link("$b/root600", "$b/userdir/stolen")));
  out("$p.36", 'create, mkdir, symlink, mkfifo in our directory',
      put("$b/userdir/f2", 'f') . ' ' . desc("$b/userdir/f2") . ' '
      . r(mkdir("$b/userdir/d2", 0777)) . ' ' . desc("$b/userdir/d2") . ' '
      . r(symlink('f2', "$b/userdir/s2")) . ' ' . desc("$b/userdir/s2") . ' '
      . r(POSIX::mkfifo("$b/userdir/p2", 0666)) . ' ' . desc("$b/userdir/p2"));
  out("$p.37", 'move our 0555 directory to another parent', r(rename("$b/userdir/mv",
      "$b/userdir2/mv")));
  out("$p.38", 'rename our 0555 directory in the same parent', r(rename("$b/userdir/mv",
      "$b/userdir/mv2")) . ' ' . ls("$b/userdir"));
  out("$p.39", 'user.* xattr on root\'s 0644 file', setx("$b/rootfile", 'user.u', '1'));
  out("$p.40", 'user.* xattr on our file', setx("$b/own", 'user.u', '1') . ' ' . listx("$b/own"));
  out("$p.41", 'trusted.* xattr on our file', setx("$b/own", 'trusted.u', '1'));
  out("$p.42", 'access(W_OK) of root\'s files', r(POSIX::access("$b/rootfile", POSIX::W_OK()))
      . ' ' . r(POSIX::access("$b/rootw", POSIX::W_OK())));
  out("$p.43", 'mknod of a device', mknod("$b/userdir/dev", S_IFCHR | 0600, makedev(1, 3)));
  out("$p.44", 'chmod 4755 of our file keeps setuid', r(chmod(04755, "$b/own")) . ' '
      . desc("$b/own"));
  out("$p.45", 'chown -1:-1 of our setuid file', r(chown(-1, -1, "$b/own")) . ' ' . desc("$b/own"));
  out("$p.46", 'an O_TRUNC open of our setuid file drops setuid', do {
        my $rc = r(sysopen(my $t, "$b/suid3", O_WRONLY | O_TRUNC));
        close($t) if $t;
        "$rc " . desc("$b/suid3") });
  out("$p.47", 'ftruncate of our setuid file drops setuid', do {
        my $rc = r(sysopen(my $t, "$b/suid4", O_WRONLY));
        $rc = r(truncate($t, 1)) if $rc eq 'ok';
        close($t) if $t;
        "$rc " . desc("$b/suid4") });
  for (['sgidx', 48, 'a write to our setgid, group-executable file drops setgid'],
       ['sgidnx', 49, 'a write to our setgid file without group execute keeps setgid']) {
    my ($name, $n, $what) = @$_;
    my $rc = r(sysopen(my $t, "$b/$name", O_WRONLY | O_APPEND));
    if ($rc eq 'ok') { syswrite($t, 'x'); close($t) }
    out("$p.$n", $what, "$rc " . desc("$b/$name"));
  }
}

sub phase_user {
  user_checks('permN', 'N/perm');
  user_checks('permL', 'L/perm');
}

# ==================================================================================================

my ($phase, $dir) = @ARGV;
die "usage: $0 build LO HI FLAT UPPER | root DIR | user DIR | final DIR\n" unless defined $phase;
if ($phase eq 'build') {
  build(@ARGV[1 .. 4]);
  exit 0;
}
die "usage: $0 $phase DIR\n" unless defined $dir;
chdir($dir) or die "cannot enter $dir: $!\n";
if ($phase eq 'root') {
  phase_root();
} elsif ($phase eq 'user') {
  phase_user();
} elsif ($phase eq 'final') {
  walk('final', '.', 1);
} else {
  die "unknown phase $phase\n";
}
exit 0;
