// `lvs-agent adverts`: who advertises VRRP on an interface (pure). Each packet the agent's own VRRP
// socket receives is parsed with the agent's own parser (packet.ts) and counted by sender: interface,
// source, VRID and version, with the last priority, interval, addresses and auth type seen. Packets the
// parser drops are counted by reason. A password is never kept or shown, only the auth type.
// The listening itself (sockets, the clock) is in main.ts; `lvsctl doctor` reads the JSON.
import { parsePacket, type VrrpAuth } from "./packet.ts";

/** One sender on one interface, for one VRID and version. */
export interface AdvertSender {
  interface: string;
  src: string;
  /** 224.0.0.18 (multicast) or this host's own address (unicast) */
  dst: string;
  vrid: number;
  version: 2 | 3;
  /** the last advert's */
  priority: number;
  intervalCs: number;
  addresses: string[];
  /** v2 only: "none", "pass", ... (the password is not shown) */
  authType?: VrrpAuth["type"];
  count: number;
}

export interface AdvertsReport {
  interfaces: string[];
  seconds: number;
  senders: AdvertSender[];
  /** interface -> drop reason -> packets the parser refused (bad TTL, checksum, ...) */
  dropped: Record<string, Record<string, number>>;
}

export class AdvertTally {
  private readonly senders = new Map<string, AdvertSender>();
  private readonly dropped: Record<string, Record<string, number>> = {};

  constructor(
    private readonly interfaces: string[],
    private readonly seconds: number,
  ) {}

  /** One packet as the raw socket delivered it (IPv4 header included). */
  add(ifname: string, packet: Buffer): void {
    const r = parsePacket(packet);
    if (!r.ok) {
      const d = (this.dropped[ifname] ??= {});
      d[r.reason] = (d[r.reason] ?? 0) + 1;
      return;
    }
    const a = r.advert;
    const key = `${ifname} ${r.src} ${a.vrid} ${a.version}`;
    const prev = this.senders.get(key);
    this.senders.set(key, {
      interface: ifname,
      src: r.src,
      dst: r.dst,
      vrid: a.vrid,
      version: a.version,
      priority: a.priority,
      intervalCs: a.intervalCs,
      addresses: a.addresses,
      ...(a.auth ? { authType: a.auth.type } : {}),
      count: (prev?.count ?? 0) + 1,
    });
  }

  report(): AdvertsReport {
    const senders = [...this.senders.values()].sort(
      (a, b) => a.interface.localeCompare(b.interface) || a.vrid - b.vrid || a.src.localeCompare(b.src),
    );
    return { interfaces: this.interfaces, seconds: this.seconds, senders, dropped: this.dropped };
  }
}

/** The report for people: one line per sender, then what was dropped. */
export function formatAdverts(r: AdvertsReport): string {
  const head = `VRRP adverts heard on ${r.interfaces.join(", ")} in ${r.seconds} s`;
  const lines = r.senders.map(
    (s) =>
      `  ${s.interface}  ${s.src} -> ${s.dst}  VRID ${s.vrid}  v${s.version}  priority ${s.priority}  ` +
      `interval ${s.intervalCs / 100}s${s.authType ? `  auth ${s.authType}` : ""}  ` +
      `${s.addresses.join(",") || "-"}  (${s.count} adverts)`,
  );
  const drops = Object.entries(r.dropped).flatMap(([ifname, reasons]) =>
    Object.entries(reasons).map(([reason, n]) => `  ${ifname}: ${n} packet(s) dropped: ${reason}`),
  );
  return [head, ...(lines.length ? lines : ["  none"]), ...drops].join("\n") + "\n";
}

/** --seconds: a positive number up to an hour, or an error message. */
export function listenSeconds(raw: string | undefined): number | string {
  if (raw === undefined) return 3;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 && n <= 3600 ? n : `--seconds takes a number of seconds (0-3600], got ${raw}`;
}
