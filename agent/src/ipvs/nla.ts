// Netlink attributes (struct nlattr, linux/netlink.h), pure: the TLV layer under the IPVS codec.
// Values are host byte order (little endian on every machine we run on) unless a helper says "be".

export const NLA_HDRLEN = 4;
const NLA_F_NESTED = 0x8000;
const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;
const align4 = (n: number) => (n + 3) & ~3;

export class NlaError extends Error {
  override name = "NlaError";
}

export function nla(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(align4(NLA_HDRLEN + value.length));
  out.writeUInt16LE(NLA_HDRLEN + value.length, 0);
  out.writeUInt16LE(type, 2);
  value.copy(out, NLA_HDRLEN);
  return out;
}

/** libnl (and so ipvsadm) marks nests with NLA_F_NESTED; the kernel's own dumps do not: accept both. */
export const nest = (type: number, children: Buffer[]) => nla(type | NLA_F_NESTED, Buffer.concat(children));

function fixed(size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}
export const u8 = (type: number, v: number) =>
  nla(
    type,
    fixed(1, (b) => b.writeUInt8(v)),
  );
export const u16 = (type: number, v: number) =>
  nla(
    type,
    fixed(2, (b) => b.writeUInt16LE(v)),
  );
export const be16 = (type: number, v: number) =>
  nla(
    type,
    fixed(2, (b) => b.writeUInt16BE(v)),
  );
export const u32 = (type: number, v: number) =>
  nla(
    type,
    fixed(4, (b) => b.writeUInt32LE(v)),
  );
export const be32 = (type: number, v: number) =>
  nla(
    type,
    fixed(4, (b) => b.writeUInt32BE(v)),
  );
/** NLA_NUL_STRING */
export const str = (type: number, s: string) => nla(type, Buffer.from(`${s}\0`, "utf8"));

/** Attributes by type, flags masked off; the last of a type wins, as in the kernel's nla_parse. */
export function parseAttrs(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = 0; off + NLA_HDRLEN <= buf.length;) {
    const len = buf.readUInt16LE(off);
    if (len < NLA_HDRLEN || off + len > buf.length) throw new NlaError(`malformed attribute at offset ${off}`);
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  return out;
}

/** An unsigned integer attribute of 1, 2, 4 or 8 bytes (the kernel sends counters in either width). */
export function readUint(b: Buffer, what: string): number {
  if (b.length === 1) return b.readUInt8(0);
  if (b.length === 2) return b.readUInt16LE(0);
  if (b.length === 4) return b.readUInt32LE(0);
  throw new NlaError(`${what}: unexpected length ${b.length}`);
}
