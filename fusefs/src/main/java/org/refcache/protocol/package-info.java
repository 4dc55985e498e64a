/**
 * The control socket's wire format, shared by the service ({@code org.refcache.daemon}) and the
 * {@code refcache} command ({@code org.refcache.cli}), which depend on it and not on each other.
 *
 * <ul>
 *   <li>{@link org.refcache.protocol.ControlProtocol}: the JSON mapper and the line shapes (request,
 *       progress, heartbeat, success, failure), the version, the longest line, the heartbeat interval.</li>
 *   <li>{@link org.refcache.protocol.ErrorKind}: why a request failed, its name on the wire and the
 *       command's exit status.</li>
 *   <li>{@link org.refcache.protocol.BoundedLineReader}: reading lines with a bound on their length,
 *       on both ends of the socket.</li>
 *   <li>{@link org.refcache.protocol.ControlSocket}: where the socket is (option, environment,
 *       default), the same rule on both sides.</li>
 * </ul>
 */
package org.refcache.protocol;
