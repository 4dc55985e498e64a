/**
 * The refcache service: the wiring that opens the cache, mounts the FUSE view and serves the control
 * socket, plus the handles the service holds on behalf of its clients.
 *
 * <h2>Parts</h2>
 * <ul>
 *   <li>{@link org.refcache.daemon.Daemon}: start-up order (the state root's lock, directories, stale mounts,
 *       cache, held handles, FUSE mount, bind mounts, control socket, readiness) and the reverse shutdown.</li>
 *   <li>{@link org.refcache.daemon.StateRootLock}: one service per state root ({@code flock} on
 *       {@code <root>/lock}).</li>
 *   <li>{@link org.refcache.daemon.RefService}: the operations of the {@code refcache} command.</li>
 *   <li>{@link org.refcache.daemon.HeldHandles}: handles the service keeps until {@code release} and the
 *       committed mutables whose IDs stand for their twins, persisted in {@code <root>/service.json} so a
 *       restart re-acquires them; and the one decision of what an ID stands for
 *       ({@link org.refcache.daemon.ServedRef}), which every command and the view act on. A change to the
 *       held set happens when that file is written; {@link org.refcache.daemon.Leftovers} undoes at start
 *       what a daemon killed before that write left.</li>
 *   <li>{@link org.refcache.daemon.ServiceTreeSource}: what the FUSE view serves for each ref ID.</li>
 *   <li>{@link org.refcache.daemon.ControlServer} and {@link org.refcache.protocol.ControlProtocol}: the Unix
 *       socket speaking newline-delimited JSON, with heartbeats while a request runs.</li>
 * </ul>
 *
 * <h2>Locks</h2>
 * {@code RefService} serializes every operation that changes the held set with one lock; it may call the
 * cache manager (which takes its own lock) while holding it, never the other way round. FUSE threads only
 * read the held set (one immutable value replaced at each change, and a concurrent map of bind mounts) and
 * call the cache manager, so they never wait for the service lock.
 * Invalidations of the FUSE view run after the service lock is released.
 */
package org.refcache.daemon;
