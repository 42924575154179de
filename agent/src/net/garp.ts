// Sends prebuilt Ethernet frames (gratuitous ARP) on one interface through an AF_PACKET socket, which
// raw-socket cannot open. koffi calls socket()/sendto() directly: no addon to build per Node ABI.
import {
  AF_PACKET,
  SOCK_RAW,
  closeFd,
  ifIndex,
  openSocket,
  sendTo,
  writeHostInt32,
  writeHostUInt16,
} from "../native/libc.ts";
import { ETH_P_ARP } from "./arp.ts";

/**
 * struct sockaddr_ll { u16 family; be16 protocol; int ifindex; u16 hatype; u8 pkttype; u8 halen;
 * u8 addr[8] } (20 bytes). With SOCK_RAW the frame carries its own Ethernet header, so only family,
 * protocol and ifindex matter.
 */
function sockaddrLl(ifindex: number): Buffer {
  const a = Buffer.alloc(20);
  writeHostUInt16(a, AF_PACKET, 0); // sa_family_t is host order, sll_protocol network order
  a.writeUInt16BE(ETH_P_ARP, 2);
  writeHostInt32(a, ifindex, 4);
  return a;
}

export class GarpSender {
  private fd: number | undefined;

  private constructor(
    readonly ifname: string,
    fd: number,
    private readonly addr: Buffer,
  ) {
    this.fd = fd;
  }

  static async open(ifname: string): Promise<GarpSender> {
    const ifindex = ifIndex(ifname);
    // Protocol 0: a send-only socket, so the kernel never queues received frames on it.
    const fd = openSocket(AF_PACKET, SOCK_RAW, 0, ifname);
    return new GarpSender(ifname, fd, sockaddrLl(ifindex));
  }

  /** Send each frame now; throws naming the interface and errno (e.g. ENETDOWN when it is down). */
  send(frames: Buffer[]): void {
    if (this.fd === undefined) throw new Error(`GARP socket on ${this.ifname} is closed`);
    for (const frame of frames) sendTo(this.fd, frame, this.addr, this.ifname);
  }

  close(): void {
    if (this.fd !== undefined) closeFd(this.fd);
    this.fd = undefined;
  }
}
