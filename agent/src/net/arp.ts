// Gratuitous ARP frame, byte for byte what keepalived 2.2.7 sends (captured with tshark, see
// arp.test.ts): a broadcast ARP *request* whose sender and target IP are both the VIP, and whose target
// MAC is ff:ff:ff:ff:ff:ff (not the 00:00:00:00:00:00 of RFC 5227's announcements; receivers ignore
// the field in a request, and matching keepalived keeps what switches see unchanged on migration).
// 42 bytes: a physical NIC pads to the 60-byte Ethernet minimum, veth sends it as is.
import { ipToBytes } from "./ip.ts";

export const ETH_P_ARP = 0x0806;
export const GARP_FRAME_LEN = 42;
const ETH_P_IP = 0x0800;
const ARPHRD_ETHER = 1;
const ARPOP_REQUEST = 1;

export function macToBytes(mac: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new Error(`not a MAC address: ${mac}`);
  return Buffer.from(mac.split(":").map((h) => parseInt(h, 16)));
}

/** Ethernet frame of a gratuitous ARP as keepalived sends it: dst ff:ff:ff:ff:ff:ff, ARP request (op 1), sender = target = vip, sender MAC = mac, target MAC ff:ff:ff:ff:ff:ff */
export function buildGratuitousArp(mac: string, vip: string): Buffer {
  const hw = macToBytes(mac);
  const ip = ipToBytes(vip);
  const f = Buffer.alloc(GARP_FRAME_LEN);
  f.fill(0xff, 0, 6); // Ethernet destination: broadcast
  hw.copy(f, 6); // Ethernet source
  f.writeUInt16BE(ETH_P_ARP, 12);
  f.writeUInt16BE(ARPHRD_ETHER, 14);
  f.writeUInt16BE(ETH_P_IP, 16);
  f[18] = 6; // hardware address length
  f[19] = 4; // protocol address length
  f.writeUInt16BE(ARPOP_REQUEST, 20);
  hw.copy(f, 22); // sender MAC
  ip.copy(f, 28); // sender IP
  f.fill(0xff, 32, 38); // target MAC: broadcast, as keepalived
  ip.copy(f, 38); // target IP
  return f;
}
