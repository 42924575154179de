// DNS messages for DNS_CHECK (RFC 1035 section 4): one query with a single question, and the parts of a
// reply the check judges (its id, QR bit, RCODE and answer count). Pure.
import type { DnsHealthCheckConfig } from "../config/agent-checks.ts";

export type DnsType = DnsHealthCheckConfig["queryType"];

/** RFC 1035 3.2.2 and RFC 3596 (AAAA) type codes. */
export const TYPE_CODES: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };
const CLASS_IN = 1;
const RD = 0x0100;
const HEADER = 12;

/** The query: header (id, RD set, one question), QNAME as labels, QTYPE, QCLASS IN. */
export function encodeQuery(id: number, name: string, type: DnsType): Buffer {
  const labels = name
    .replace(/\.$/, "")
    .split(".")
    .filter((l) => l !== "");
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "ascii")])),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(HEADER);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(RD, 2);
  head.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(TYPE_CODES[type], 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([head, qname, tail]);
}

const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/**
 * What a datagram says as the answer to query `id`: undefined when it is not that answer (too short, not
 * a response, another id: the checker keeps waiting); otherwise ok when RCODE is NOERROR.
 */
export function judgeReply(msg: Buffer, id: number): { ok: boolean; detail: string } | undefined {
  if (msg.length < HEADER || msg.readUInt16BE(0) !== id || !(msg[2]! & 0x80)) return undefined;
  const rcode = msg[3]! & 0x0f;
  const answers = msg.readUInt16BE(6);
  if (rcode !== 0) return { ok: false, detail: `answered ${RCODES[rcode] ?? `RCODE ${rcode}`}` };
  return { ok: true, detail: `answered NOERROR with ${answers} answer${answers === 1 ? "" : "s"}` };
}
