/** Helpers over whole directory trees, shared by the stores of cache-core. */
package org.refcache.core.fs;
