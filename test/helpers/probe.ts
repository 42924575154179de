// Reachability of a VIP as a client sees it, shared by the interop tests and the failover bench.
//
// Each director runs a tiny UDP echo responder bound to 0.0.0.0 that answers every datagram with its
// host name; a prober in the client namespace sends a datagram to the VIP every few ms and prints one
// line per reply: `<CLOCK_MONOTONIC ms> <host name> <seq>`. process.hrtime is CLOCK_MONOTONIC in every
// process on the machine (namespaces do not change it), so the times compare with nowMs() here.
// This file is also the child's entry point: `node --import tsx probe.ts echo NAME PORT` or
// `... probe.ts probe VIP PORT EVERY_MS`.
import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";
import type { Host } from "./netns.ts";
import { Watched, nowMs, type Line } from "./procs.ts";

export const PROBE_PORT = 7777;
const SELF = fileURLToPath(import.meta.url);

export interface Reply {
  /** when the prober received it (ms, CLOCK_MONOTONIC) */
  t: number;
  from: string;
  seq: number;
}

export function parseReply(l: Line): Reply | undefined {
  const m = /^(\d+(?:\.\d+)?) (\S+) (\d+)$/.exec(l.text);
  return m ? { t: Number(m[1]), from: m[2]!, seq: Number(m[3]) } : undefined;
}

function spawnChild(host: Host, args: string[]): Watched {
  return new Watched(host.spawn(process.execPath, ["--import", "tsx", SELF, ...args]));
}

/** Start the echo responder in a director; resolves once it listens. */
export async function startEcho(host: Host, port = PROBE_PORT): Promise<Watched> {
  const w = spawnChild(host, ["echo", host.name, String(port)]);
  await w.waitLine((l) => l.text === "listening", 10_000, `echo responder in ${host.name}`);
  return w;
}

export class Prober {
  constructor(readonly proc: Watched) {}

  /** The first reply from host `from` received at or after t. */
  async firstReplyFrom(from: string, t: number, timeoutMs: number): Promise<Reply> {
    const l = await this.proc.waitLine(
      (x) => {
        const r = parseReply(x);
        return r !== undefined && r.from === from && r.t >= t;
      },
      timeoutMs,
      `a reply from ${from}`,
    );
    return parseReply(l)!;
  }
}

/** Start probing vip from the client every everyMs; resolves once the first datagram left. */
export async function startProber(client: Host, vip: string, everyMs = 5, port = PROBE_PORT): Promise<Prober> {
  const w = spawnChild(client, ["probe", vip, String(port), String(everyMs)]);
  await w.waitLine((l) => l.text === "probing", 10_000, `prober in ${client.name}`);
  return new Prober(w);
}

// ---- child side ----

function echo(name: string, port: number): void {
  const sock = createSocket("udp4");
  sock.on("message", (msg, rinfo) => sock.send(`${name} ${msg.toString()}`, rinfo.port, rinfo.address));
  sock.bind(port, "0.0.0.0", () => console.log("listening"));
}

function probe(vip: string, port: number, everyMs: number): void {
  const sock = createSocket("udp4");
  let seq = 0;
  sock.on("message", (msg) => process.stdout.write(`${nowMs().toFixed(3)} ${msg.toString()}\n`));
  // ENETUNREACH and friends while the VIP has no owner are expected: keep probing.
  sock.on("error", () => undefined);
  sock.bind(0, () => {
    setInterval(() => sock.send(String(++seq), port, vip, () => undefined), everyMs);
    console.log("probing");
  });
}

function childMain(argv: string[]): void {
  const [mode, a = "", b = "", c = ""] = argv;
  if (mode === "echo") echo(a, Number(b));
  else if (mode === "probe") probe(a, Number(b), Number(c));
  else throw new Error(`probe.ts: unknown mode ${mode}`);
}

if (process.argv[1] === SELF) childMain(process.argv.slice(2));
