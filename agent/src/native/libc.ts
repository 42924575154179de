// The few libc calls Node has no API for, through koffi (FFI, nothing to compile, so the agent bundle
// needs no per-ABI build for them): AF_PACKET sockets for gratuitous ARP and if_nametoindex.
import koffi from "koffi";
import { endianness } from "node:os";
import { getSystemErrorMap } from "node:util";
import { noSuchInterface } from "./rtnl.ts";

const libc = koffi.load("libc.so.6");

export const AF_PACKET = 17;
export const SOCK_RAW = 3;
/** Fail with EAGAIN rather than block Node's event loop when the socket's send buffer is full. */
const MSG_DONTWAIT = 0x40;

const cSocket = libc.func("int socket(int domain, int type, int protocol)");
const cSendto = libc.func(
  "long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)",
);
const cClose = libc.func("int close(int fd)");
const cSetsockopt = libc.func("int setsockopt(int fd, int level, int optname, const void *optval, uint32_t optlen)");
const cIfNameToIndex = libc.func("unsigned int if_nametoindex(const char *name)");

/** An Error carrying errno/code like Node's own system errors, with the call and its context named. */
export class SysError extends Error {
  readonly code: string;
  constructor(
    readonly syscall: string,
    readonly errno: number,
    context: string,
  ) {
    // Node's map is keyed by negative errno (libuv style): [name, description].
    const [code, text] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, `errno ${errno}`];
    super(`${syscall} on ${context} failed: ${code} (${text})`);
    this.code = code;
  }
}

function lastError(syscall: string, context: string): SysError {
  return new SysError(syscall, koffi.errno(), context);
}

/** if_nametoindex(3); a missing interface is the message every I/O shell uses. */
export function ifIndex(ifname: string): number {
  const index = cIfNameToIndex(ifname) as number;
  if (index === 0) throw noSuchInterface(ifname);
  return index;
}

export function openSocket(domain: number, type: number, protocol: number, context: string): number {
  const fd = cSocket(domain, type, protocol) as number;
  if (fd < 0) throw lastError("socket", context);
  return fd;
}

export function sendTo(fd: number, data: Buffer, addr: Buffer, context: string): void {
  const sent = Number(cSendto(fd, data, data.length, MSG_DONTWAIT, addr, addr.length));
  if (sent < 0) throw lastError("sendto", context);
}

/** setsockopt(2) with the option value as raw bytes (an int is 4 host-order bytes). */
export function setSockOpt(fd: number, level: number, option: number, value: Buffer, context: string): void {
  if ((cSetsockopt(fd, level, option, value, value.length) as number) < 0) throw lastError("setsockopt", context);
}

export function hostInt(value: number): Buffer {
  const b = Buffer.alloc(4);
  writeHostInt32(b, value, 0);
  return b;
}

export function closeFd(fd: number): void {
  cClose(fd);
}

const LE = endianness() === "LE";

/** Write a C int in host byte order (struct fields such as ifindex are not network order). */
export function writeHostInt32(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}

export function writeHostUInt16(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}
