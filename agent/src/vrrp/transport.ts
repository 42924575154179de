// VRRP's wire: raw IPv4 protocol 112 through raw-socket. raw-socket has no bind(), so the source address
// is chosen by writing the IP header ourselves (IP_HDRINCL), and SO_BINDTODEVICE does the rest of what
// keepalived gets from binding: only ifname's packets arrive, and multicast leaves through ifname.
import { EventEmitter } from "node:events";
import { ifIndex, writeHostInt32 } from "../native/libc.ts";
import * as rs from "../native/rawsocket.ts";
import { ipToBytes } from "../net/ip.ts";
import { IPPROTO_VRRP, parseIpv4 } from "../net/ipv4.ts";

export const VRRP_GROUP = "224.0.0.18";

export interface TransportOptions {
  ifname: string;
  /** join 224.0.0.18 on ifname (multicast); false = unicast only */
  multicast: boolean;
}

/** struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex }: selects the interface by index. */
function ipMreqn(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  ipToBytes(group).copy(b, 0);
  writeHostInt32(b, ifindex, 8);
  return b;
}

function configure(sock: rs.RawSocket, opts: TransportOptions, ifindex: number): void {
  sock.setBytes(rs.SOL_SOCKET, rs.SO_BINDTODEVICE, Buffer.from(`${opts.ifname}\0`));
  sock.setInt(rs.IPPROTO_IP, rs.IP_HDRINCL, 1);
  // Linux hands a socket multicast for groups joined by *any* socket on the host unless this is off;
  // with it off a unicast-only transport never sees 224.0.0.18, and a multicast one only its own join.
  sock.setInt(rs.IPPROTO_IP, rs.IP_MULTICAST_ALL, 0);
  if (!opts.multicast) return;
  sock.setBytes(rs.IPPROTO_IP, rs.IP_MULTICAST_IF, ipMreqn("0.0.0.0", ifindex));
  // RFC 5798 5.1.1.3: TTL 255. The header we write already says so; this covers a header-less sender.
  sock.setInt(rs.IPPROTO_IP, rs.IP_MULTICAST_TTL, 255);
  // Our own adverts must not come back to us as if from a peer.
  sock.setInt(rs.IPPROTO_IP, rs.IP_MULTICAST_LOOP, 0);
  sock.setBytes(rs.IPPROTO_IP, rs.IP_ADD_MEMBERSHIP, ipMreqn(VRRP_GROUP, ifindex));
}

function openError(err: unknown, ifname: string): Error {
  if (rs.isPermissionError(err)) {
    return new Error(`lvs-agent needs CAP_NET_RAW to open a VRRP socket on ${ifname} (run as root or grant the capability)`);
  }
  return new Error(`cannot open a VRRP socket on ${ifname}: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * Emits "packet" (a copy of the full IPv4 packet, header included) and "error". As with any
 * EventEmitter, an "error" without a listener throws: the owner must listen.
 */
export class VrrpTransport extends EventEmitter {
  private sock: rs.RawSocket | undefined;

  private constructor(readonly ifname: string) {
    super();
  }

  static async open(opts: TransportOptions): Promise<VrrpTransport> {
    const ifindex = ifIndex(opts.ifname);
    const t = new VrrpTransport(opts.ifname);
    try {
      t.sock = rs.RawSocket.open(IPPROTO_VRRP, {
        // raw-socket reuses its receive buffer for the next packet.
        message: (buf) => t.emit("packet", Buffer.from(buf)),
        error: (err) => t.emit("error", new Error(`VRRP socket on ${opts.ifname}: ${err.message}`)),
      });
      configure(t.sock, opts, ifindex);
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
    if (!this.sock) throw new Error(`VRRP socket on ${this.ifname} is closed`);
    const dst = parsed.header.dst;
    try {
      await this.sock.send(packet, dst);
    } catch (err) {
      throw new Error(`sending VRRP on ${this.ifname} to ${dst} failed: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.sock?.close();
    this.sock = undefined;
  }
}
