// Typed shell over npm `raw-socket` (nan addon, dormant upstream): the only file that touches its
// untyped API, so replacing it later is a one-file change. It creates the socket in its constructor,
// has no bind(), takes socket options as raw numbers, and throws plain strerror() strings.
import { createRequire } from "node:module";

export const SOL_SOCKET = 1;
export const IPPROTO_IP = 0;
export const SO_BINDTODEVICE = 25;
export const IP_HDRINCL = 3;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_MULTICAST_ALL = 49;

interface NativeRawSocket {
  on(event: "message", listener: (buf: Buffer, source: string) => void): void;
  on(event: "error", listener: (err: Error) => void): void;
  on(event: "close", listener: () => void): void;
  setOption(level: number, option: number, value: number): void;
  setOption(level: number, option: number, value: Buffer, length: number): void;
  send(
    buf: Buffer,
    offset: number,
    length: number,
    address: string,
    cb: (err: Error | null, bytes: number) => void,
  ): void;
  close(): void;
  /** raw-socket's receive buffer and native wrap: its JS layer reads through them on readiness. */
  buffer: Buffer;
  wrap: { recv(buf: Buffer, cb: (buf: Buffer, bytes: number) => void): void };
}

interface RawSocketModule {
  createSocket(opts: { protocol: number; addressFamily?: number; bufferSize?: number }): NativeRawSocket;
}

const raw = createRequire(import.meta.url)("raw-socket") as RawSocketModule;

export interface RawSocketHandlers {
  /** buf is raw-socket's receive buffer, reused for the next packet: copy what you keep. */
  message(buf: Buffer): void;
  error(err: Error): void;
}

export class RawSocket {
  private closed = false;
  /** raw-socket drops queued sends on close without calling back: reject them ourselves. */
  private readonly pending = new Set<(err: Error) => void>();

  private constructor(
    private readonly sock: NativeRawSocket,
    private readonly handlers: RawSocketHandlers,
  ) {}

  /**
   * Read what is already queued, now, rather than when the event loop next polls (the socket is
   * non-blocking, so an empty queue ends it). Node runs due timers before it polls: a timer that fires
   * after a pause must see the packets that arrived during it first. Returns the packets delivered.
   */
  drain(max: number): number {
    let n = 0;
    for (; n < max && !this.closed; n++) {
      try {
        this.sock.wrap.recv(this.sock.buffer, (buf, bytes) => this.handlers.message(buf.subarray(0, bytes)));
      } catch (err) {
        if (!isWouldBlock(err)) this.handlers.error(err as Error);
        break;
      }
    }
    return n;
  }

  /** An AF_INET SOCK_RAW socket for protocol; throws raw-socket's strerror text (e.g. EPERM). */
  static open(protocol: number, handlers: RawSocketHandlers): RawSocket {
    // 64 KiB: an IPv4 datagram never exceeds it, so no read is silently truncated.
    const s = new RawSocket(raw.createSocket({ protocol, bufferSize: 65535 }), handlers);
    s.sock.on("message", (buf) => handlers.message(buf));
    // A readiness callback for a packet drain() already read finds the queue empty: nothing to report.
    s.sock.on("error", (err) => isWouldBlock(err) || handlers.error(err));
    s.sock.on("close", () => s.markClosed());
    return s;
  }

  setInt(level: number, option: number, value: number): void {
    this.sock.setOption(level, option, value);
  }

  setBytes(level: number, option: number, value: Buffer): void {
    this.sock.setOption(level, option, value, value.length);
  }

  send(buf: Buffer, address: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("socket is closed"));
    return new Promise((resolve, reject) => {
      this.pending.add(reject);
      this.sock.send(buf, 0, buf.length, address, (err) => {
        this.pending.delete(reject);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.sock.close();
    this.markClosed();
  }

  private markClosed(): void {
    this.closed = true;
    for (const reject of this.pending) reject(new Error("socket closed before the packet was sent"));
    this.pending.clear();
  }
}

/** EAGAIN as raw-socket words it: the queue is empty. */
function isWouldBlock(err: unknown): boolean {
  return /Resource temporarily unavailable/.test(err instanceof Error ? err.message : String(err));
}

/** raw-socket throws bare strerror() text; EPERM and EACCES both mean "not allowed to open raw". */
export function isPermissionError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /Operation not permitted|Permission denied/.test(msg);
}
