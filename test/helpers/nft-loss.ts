// VRRP packet loss inside a lab host, and what the loss test and bench watch while it runs (impure:
// nft, tcpdump and `ip monitor` inside the host's namespace).
//
// VrrpLoss puts one nftables table in the host: on its input hook, VRRP from any other address first
// goes through chain `loss` (`numgen random mod 100 < N counter drop`, or empty for no loss), then past
// a counted rule that copies each packet that survived to an NFLOG group, which tcpdump reads (stamped
// when read: see loss-stats.ts). So a run knows exactly which adverts the host's VRRP daemon could read,
// and about when: what a correct daemon must do follows from that (loss-stats.ts), without luck.
// VipWatch follows the VIP on a host through `ip -o -4 monitor address`.
import type { Host } from "./netns.ts";
import { Watched, nowMs } from "./procs.ts";
import { parseAddrEvent, parseNflogAdvert, type Advert, type Hold } from "./loss-stats.ts";

const TABLE = "lvsloss";
const NFLOG_GROUP = 7;
const VRRP = 112;

/** The nft script that makes chain `loss` drop pct% of what reaches it (0: nothing), in one transaction. */
function lossScript(pct: number): string {
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`loss must be an integer percentage, not ${pct}`);
  const random = pct < 100 ? `numgen random mod 100 < ${pct} ` : "";
  const rule = pct > 0 ? [`add rule ip ${TABLE} loss ${random}counter name "dropped" drop`] : [];
  return [`flush chain ip ${TABLE} loss`, ...rule].join("\n") + "\n";
}

export interface LossCounters {
  /** VRRP packets the loss rule dropped */
  dropped: number;
  /** VRRP packets past it (each copied to NFLOG) */
  passed: number;
}

export class VrrpLoss {
  private pct = 0;
  /** `nft -i` in the host, for setAll */
  private session?: Watched;

  private constructor(
    readonly host: Host,
    private readonly capture: Watched,
  ) {}

  /** The table, without loss yet, and tcpdump on its NFLOG group (ready when this resolves). */
  static async install(host: Host): Promise<VrrpLoss> {
    const capture = new Watched(host.spawn("tcpdump", ["-l", "-n", "-tt", "-i", `nflog:${NFLOG_GROUP}`]));
    await capture.waitLine(
      (l) => l.text.startsWith("listening on"),
      10_000,
      `tcpdump on nflog:${NFLOG_GROUP} in ${host.name}`,
    );
    const from = `ip protocol ${VRRP} ip saddr != ${host.ip}`;
    host.exec("nft", ["-f", "-"], {
      input:
        [
          `table ip ${TABLE} {`,
          `  counter dropped {}`,
          `  counter passed {}`,
          `  chain loss {}`,
          `  chain input {`,
          `    type filter hook input priority filter - 10; policy accept;`,
          `    ${from} jump loss`,
          // queue-threshold 1: each packet goes to tcpdump at once, not batched for up to a second.
          `    ${from} counter name "passed" log group ${NFLOG_GROUP} queue-threshold 1`,
          `  }`,
          `}`,
        ].join("\n") + "\n",
    });
    return new VrrpLoss(host, capture);
  }

  get lossPct(): number {
    return this.pct;
  }

  /** Drop pct% of the VRRP packets reaching the host from now on (0: none), in one nft transaction. */
  set(pct: number): void {
    this.host.exec("nft", ["-f", "-"], { input: lossScript(pct) });
    this.pct = pct;
  }

  /**
   * set(pct) in several hosts at once, each through an `nft -i` kept running in the host (started on first
   * use): a change lands a millisecond or so after the call rather than after a process start (10-60 ms).
   * Resolves once every host's nft has committed it.
   */
  static async setAll(losses: readonly VrrpLoss[], pct: number): Promise<void> {
    const line = lossScript(pct).trim().split("\n").join("; ");
    await Promise.all(losses.map((l) => l.viaSession(line)));
    for (const l of losses) l.pct = pct;
  }

  private async viaSession(commands: string): Promise<void> {
    // stdbuf: nft's output must reach us a line at a time, for the acknowledgement.
    this.session ??= new Watched(this.host.spawn("stdbuf", ["-oL", "nft", "-i"]));
    const from = this.session.lines.length;
    // Commands run in order: the listing that follows is printed once the change is committed.
    this.session.child.stdin!.write(`${commands}\nlist counter ip ${TABLE} dropped\n`);
    await this.session.waitLine((l) => l.text === "}", 5000, `nft -i in ${this.host.name}`, from);
    const err = this.session.lines.slice(from).find((l) => l.text.startsWith("Error"));
    if (err) throw new Error(`nft in ${this.host.name}: ${err.text}`);
  }

  counters(): LossCounters {
    const out = JSON.parse(this.host.exec("nft", ["-j", "list", "counters", "table", "ip", TABLE])) as {
      nftables: { counter?: { name: string; packets: number } }[];
    };
    const get = (name: string) => out.nftables.find((o) => o.counter?.name === name)?.counter?.packets ?? 0;
    return { dropped: get("dropped"), passed: get("passed") };
  }

  /** The adverts that got past the loss rule so far, with `seenAt`: when tcpdump's line reached us (monotonic ms). */
  delivered(): (Advert & { seenAt: number })[] {
    return this.capture.lines.flatMap((l) => {
      const a = parseNflogAdvert(l.text);
      return a ? [{ ...a, seenAt: l.t }] : [];
    });
  }

  /** Resolves once tcpdump has printed every packet the `passed` counter counted (none was lost on the way). */
  async settled(timeoutMs = 3000): Promise<LossCounters> {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      const c = this.counters();
      const seen = this.delivered().length;
      if (seen === c.passed) return c;
      if (nowMs() > deadline)
        throw new Error(`${this.host.name}: nft passed ${c.passed} VRRP packets but tcpdump printed ${seen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Delete the table (tcpdump ends with the lab). Safe when the namespace is already gone. */
  remove(): void {
    this.session?.child.stdin?.end();
    this.host.exec("nft", ["delete", "table", "ip", TABLE], { allowFail: true });
  }
}

/** The VIP coming and going on a host, from `ip monitor` started before anything could add it. */
export class VipWatch {
  private constructor(
    private readonly mon: Watched,
    private readonly vip: string,
  ) {}

  /** Resolves once the monitor is subscribed: it has reported a probe address added to lo and removed. */
  static async start(host: Host, vip: string): Promise<VipWatch> {
    const mon = new Watched(host.spawn("ip", ["-o", "-4", "monitor", "address"]));
    const probe = "192.0.2.254";
    for (let attempt = 0; ; attempt++) {
      host.exec("ip", ["addr", "add", `${probe}/32`, "dev", "lo"]);
      host.exec("ip", ["addr", "del", `${probe}/32`, "dev", "lo"]);
      try {
        await mon.waitLine((l) => parseAddrEvent(l.text, probe) === false, 500, `ip monitor in ${host.name}`);
        return new VipWatch(mon, vip);
      } catch (err) {
        if (attempt >= 10) throw err;
      }
    }
  }

  /** Every change of the VIP on the host, in order (monotonic ms). */
  events(): Hold[] {
    return this.mon.lines.flatMap((l) => {
      const holds = parseAddrEvent(l.text, this.vip);
      return holds === undefined ? [] : [{ t: l.t, holds }];
    });
  }

  holds(): boolean {
    return this.events().at(-1)?.holds ?? false;
  }
}
