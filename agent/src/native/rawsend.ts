// Sending raw IPv4 packets with a direct, non-blocking sendto(2) through koffi. raw-socket's own send
// path polls for writability before every packet (six epoll_ctl calls per advert: most of the agent's
// idle CPU) and completes in a callback that, were it lost, would stall everything queued behind an
// advert. A raw socket's send either succeeds at once or fails with an errno, so we do it in place.
import { closeFd, hostInt, openSocket, sendTo, setSockOpt } from "./libc.ts";
import { ipToBytes } from "../net/ip.ts";

const AF_INET = 2;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

/** struct sockaddr_in for dst: the kernel takes the route (and, with IP_HDRINCL, nothing else) from it. */
function sockaddrIn(dst: string): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0); // sa_family is host order; x86 and arm64 Linux are little-endian
  ipToBytes(dst).copy(b, 4);
  return b;
}

export class RawSender {
  private fd: number | undefined;

  private constructor(
    fd: number,
    private readonly context: string,
  ) {
    this.fd = fd;
  }

  /** A send-only socket for protocol; options are applied as (level, option, value) triples. */
  static open(protocol: number, context: string, options: [number, number, Buffer][]): RawSender {
    const fd = openSocket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, protocol, context);
    const s = new RawSender(fd, context);
    try {
      // Every raw socket of this protocol gets a copy of what arrives; this one never reads, so keep
      // its queue at the minimum and let the kernel drop those copies.
      setSockOpt(fd, SOL_SOCKET, SO_RCVBUF, hostInt(0), context);
      for (const [level, option, value] of options) setSockOpt(fd, level, option, value, context);
    } catch (err) {
      s.close();
      throw err;
    }
    return s;
  }

  send(packet: Buffer, dst: string): void {
    if (this.fd === undefined) throw new Error(`socket on ${this.context} is closed`);
    sendTo(this.fd, packet, sockaddrIn(dst), this.context);
  }

  close(): void {
    if (this.fd !== undefined) closeFd(this.fd);
    this.fd = undefined;
  }
}
