// VRRP's wire: raw IPv4 protocol 112. Packets are received through raw-socket (it polls the socket in
// Node's event loop) and sent with a direct sendto (native/rawsend.ts). There is no bind(), so the
// source address is chosen by writing the IP header ourselves (IP_HDRINCL), and SO_BINDTODEVICE does the
// rest of what keepalived gets from binding: only ifname's packets arrive, multicast leaves through it.
import { EventEmitter } from "node:events";
import { hostInt, ifIndex, writeHostInt32 } from "../native/libc.ts";
import { RawSender } from "../native/rawsend.ts";
import * as rs from "../native/rawsocket.ts";
import { ipToBytes } from "../net/ip.ts";
import { IPPROTO_VRRP, parseIpv4 } from "../net/ipv4.ts";

export const VRRP_GROUP = "224.0.0.18";

export interface TransportOptions {
  ifname: string;
  /** join 224.0.0.18 on ifname (multicast); false = unicast only */
  multicast: boolean;
  /** IP protocol of the adverts: 112, or 51 when they go inside IPsec AH (ipsec-ah.ts) */
  protocol?: number;
}

/** struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex }: selects the interface by index. */
function ipMreqn(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipToBytes(group).copy(b, 0);
  writeHostInt32(b, ifindex, 8);
  return b;
}

type SockOpt = [level: number, option: number, value: Buffer];

/** Options of the receiving socket (raw-socket): only ifname's packets, only groups we joined. */
function recvOptions(opts: TransportOptions, ifindex: number): SockOpt[] {
  const list: SockOpt[] = [
    [rs.SOL_SOCKET, rs.SO_BINDTODEVICE, Buffer.from(`${opts.ifname}\0`)],
    // Linux hands a socket multicast for groups joined by *any* socket on the host unless this is off;
    // with it off a unicast-only transport never sees 224.0.0.18, and a multicast one only its own join.
    [rs.IPPROTO_IP, rs.IP_MULTICAST_ALL, hostInt(0)],
  ];
  if (opts.multicast) list.push([rs.IPPROTO_IP, rs.IP_ADD_MEMBERSHIP, ipMreqn(VRRP_GROUP, ifindex)]);
  return list;
}

/** Options of the sending socket: our own IP header, out of ifname, TTL 255, no loopback. */
function sendOptions(opts: TransportOptions, ifindex: number): SockOpt[] {
  return [
    [rs.SOL_SOCKET, rs.SO_BINDTODEVICE, Buffer.from(`${opts.ifname}\0`)],
    [rs.IPPROTO_IP, rs.IP_HDRINCL, hostInt(1)],
    [rs.IPPROTO_IP, rs.IP_MULTICAST_IF, ipMreqn("0.0.0.0", ifindex)],
    // RFC 5798 5.1.1.3: TTL 255. The header we write already says so; this covers a header-less sender.
    [rs.IPPROTO_IP, rs.IP_MULTICAST_TTL, hostInt(255)],
    // Our own adverts must not come back to us as if from a peer.
    [rs.IPPROTO_IP, rs.IP_MULTICAST_LOOP, hostInt(0)],
  ];
}

function openError(err: unknown, ifname: string): Error {
  if (rs.isPermissionError(err)) {
    return new Error(
      `lvs-agent needs CAP_NET_RAW to open a VRRP socket on ${ifname} (run as root or grant the capability)`,
    );
  }
  return new Error(`cannot open a VRRP socket on ${ifname}: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Emits "packet" (a copy of the full IPv4 packet, header included) and "error". As with any
 * EventEmitter, an "error" without a listener throws: the owner must listen.
 */
export class VrrpTransport extends EventEmitter {
  private sock: rs.RawSocket | undefined;
  private sender: RawSender | undefined;

  private constructor(readonly ifname: string) {
    super();
  }

  static async open(opts: TransportOptions): Promise<VrrpTransport> {
    const ifindex = ifIndex(opts.ifname);
    const t = new VrrpTransport(opts.ifname);
    try {
      const protocol = opts.protocol ?? IPPROTO_VRRP;
      t.sock = rs.RawSocket.open(protocol, {
        // raw-socket reuses its receive buffer for the next packet.
        message: (buf) => t.emit("packet", Buffer.from(buf)),
        error: (err) => t.emit("error", new Error(`VRRP socket on ${opts.ifname}: ${err.message}`)),
      });
      for (const [level, option, value] of recvOptions(opts, ifindex)) t.sock.setBytes(level, option, value);
      t.sender = RawSender.open(protocol, opts.ifname, sendOptions(opts, ifindex));
    } catch (err) {
      t.close();
      throw openError(err, opts.ifname);
    }
    return t;
  }

  /** Send a full IPv4 packet built by the caller (buildIpv4); the destination is read from its header. */
  async send(packet: Buffer): Promise<void> {
    const parsed = parseIpv4(packet);
    if (!parsed.ok) throw new Error(`refusing to send a malformed IPv4 packet on ${this.ifname}: ${parsed.detail}`);
    if (!this.sender) throw new Error(`VRRP socket on ${this.ifname} is closed`);
    const dst = parsed.header.dst;
    try {
      this.sender.send(packet, dst);
    } catch (err) {
      throw new Error(`sending VRRP on ${this.ifname} to ${dst} failed: ${(err as Error).message}`);
    }
  }

  /** Deliver the packets already queued (as "packet" events) before the caller acts on a timer. */
  drain(): number {
    // A full receive buffer holds a few hundred adverts; past this many, the rest wait for the poll.
    return this.sock?.drain(256) ?? 0;
  }

  close(): void {
    this.sock?.close();
    this.sender?.close();
    this.sock = undefined;
    this.sender = undefined;
  }
}
