// A configuration file's text, read safely (I/O edge): regular files only, refused before a byte is read
// when they are anything else (a device never ends, a FIFO blocks), and at most a given size, so no file
// an agent is pointed at can hang it or exhaust its memory. keepalived.conf with its includes and the
// conf.d JSON fragments both read through it.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

/**
 * A regular file's text, refusing anything else before reading a byte: a device never ends (/dev/zero)
 * and a FIFO blocks (it is opened non-blocking so that opening it cannot hang the agent either).
 */
export function readRegularFile(path: string, maxBytes: number): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`not a regular file (${fileKind(st)})`);
    if (st.size > maxBytes)
      throw new Error(`larger than ${maxBytes} bytes (${st.size}), lvs-agent's limit for one file`);
    // The size was read before the file; one that grows meanwhile is cut off at the limit all the same.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > maxBytes) throw new Error(`larger than ${maxBytes} bytes, lvs-agent's limit for one file`);
    return buf.toString("utf8", 0, n);
  } finally {
    closeSync(fd);
  }
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  return st.isSocket() ? "a socket" : "not a file";
}
