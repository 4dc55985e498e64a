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
 *   <li>{@link org.refcache.daemon.HeldHandles}: handles the service keeps until {@code release}, persisted in
 *       {@code <root>/service.json} so a restart re-acquires them.</li>
 *   <li>{@link org.refcache.daemon.ServiceTreeSource}: what the FUSE view serves for each ref ID.</li>
 *   <li>{@link org.refcache.daemon.ControlServer} and {@link org.refcache.daemon.ControlProtocol}: the Unix
 *       socket speaking newline-delimited JSON, with heartbeats while a request runs.</li>
 * </ul>
 *
 * <h2>Locks</h2>
 * {@code RefService} serializes every operation that changes the held set with one lock; it may call the
 * cache manager (which takes its own lock) while holding it, never the other way round. FUSE threads only
 * read the held set (concurrent maps) and call the cache manager, so they never wait for the service lock.
 * Invalidations of the FUSE view run after the service lock is released.
 */
package org.refcache.daemon;
