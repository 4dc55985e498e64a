/** POSIX calls java.nio lacks, bound with jnr-ffi; one mapper turns errno into exceptions. */
package org.refcache.posix;
