// A tiny metrics registry rendering the Prometheus text exposition format 0.0.4, and the agent's own
// metrics. Written here rather than pulled in as prom-client: the agent needs two metric types and one
// output format, and every dependency is one more thing in the director's bundle.

type Labels<L extends string> = Readonly<Record<L, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Go's ParseFloat spellings, which Prometheus expects. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

abstract class Metric<L extends string> {
  abstract readonly type: "counter" | "gauge";
  private readonly series = new Map<string, { labels: Labels<L>; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly L[],
  ) {
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
    for (const l of labelNames)
      if (!LABEL_NAME.test(l) || l.startsWith("__")) throw new Error(`bad label name ${l} on ${name}`);
  }

  /** The current value of one series; undefined when it was never set. */
  get(labels: Labels<L> = {} as Labels<L>): number | undefined {
    return this.series.get(this.key(labels))?.value;
  }

  /** Drops every series whose labels include `match` (e.g. all of a removed instance's). */
  remove(match: Partial<Labels<L>>): void {
    const entries = Object.entries(match) as Array<[L, string]>;
    for (const [key, s] of this.series) {
      if (entries.every(([l, v]) => s.labels[l] === v)) this.series.delete(key);
    }
  }

  render(): string {
    const head = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    // An unlabelled metric is always present (0 until touched) so rate() and alerts see it from start.
    if (this.labelNames.length === 0 && this.series.size === 0) return `${head}${this.name} 0\n`;
    const lines = [...this.series.values()].map(
      (s) => `${this.name}${this.formatLabels(s.labels)} ${formatValue(s.value)}\n`,
    );
    return head + lines.join("");
  }

  protected update(labels: Labels<L>, fn: (old: number) => number): void {
    const key = this.key(labels);
    const old = this.series.get(key);
    this.series.set(key, { labels: old?.labels ?? { ...labels }, value: fn(old?.value ?? 0) });
  }

  /** Label sets must match the declared names exactly: a typo would otherwise make a new series. */
  private key(labels: Labels<L>): string {
    const given = Object.keys(labels);
    if (given.length !== this.labelNames.length || !this.labelNames.every((l) => typeof labels[l] === "string")) {
      throw new Error(`${this.name} takes labels {${this.labelNames.join(",")}}, got {${given.join(",")}}`);
    }
    return JSON.stringify(this.labelNames.map((l) => labels[l]));
  }

  private formatLabels(labels: Labels<L>): string {
    if (this.labelNames.length === 0) return "";
    return `{${this.labelNames.map((l) => `${l}="${escapeLabelValue(labels[l])}"`).join(",")}}`;
  }
}

export class Counter<L extends string = never> extends Metric<L> {
  readonly type = "counter";

  inc(labels: Labels<L> = {} as Labels<L>, by = 1): void {
    if (!(by >= 0)) throw new Error(`${this.name}: a counter only goes up (inc by ${by})`);
    this.update(labels, (v) => v + by);
  }

  /** Mirror a counter kept elsewhere (the kernel's IPVS counters): the value only ever grows there. */
  mirror(labels: Labels<L>, value: number): void {
    this.update(labels, () => value);
  }
}

export class Gauge<L extends string = never> extends Metric<L> {
  readonly type = "gauge";

  set(labels: Labels<L>, value: number): void {
    this.update(labels, () => value);
  }

  inc(labels: Labels<L> = {} as Labels<L>, by = 1): void {
    this.update(labels, (v) => v + by);
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric<string>>();

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.register(new Counter<L>(name, help, labelNames));
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.register(new Gauge<L>(name, help, labelNames));
  }

  /** The whole exposition, in registration order. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join("");
  }

  all(): Array<Metric<string>> {
    return [...this.metrics.values()];
  }

  private register<M extends Metric<string>>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
}

export const VRRP_STATES = ["INIT", "BACKUP", "MASTER", "FAULT"] as const;
export type VrrpState = (typeof VRRP_STATES)[number];

/** Why a received VRRP packet was discarded (RFC 5798 section 7.1's checks, in order). */
export const DROP_REASONS = [
  "malformed",
  "ttl",
  "version",
  "type",
  "checksum",
  "vrid",
  "auth",
  "interval",
  "addresses",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** The agent's metrics; the agent calls e.g. `metrics.advertsSent.inc({ instance })`. */
export class AgentMetrics {
  readonly registry: Registry;
  readonly vrrpState: Gauge<"instance" | "state">;
  readonly transitions: Counter<"instance" | "to">;
  readonly advertsSent: Counter<"instance">;
  readonly advertsReceived: Counter<"instance">;
  readonly packetsDropped: Counter<"instance" | "reason">;
  readonly priority: Gauge<"instance">;
  readonly addressMismatch: Counter<"instance">;
  readonly garpSent: Counter<"instance">;
  readonly reasserts: Counter<"instance">;
  readonly foreignVrid: Counter<"interface">;
  readonly trackUp: Gauge<"kind" | "name">;
  readonly reloads: Counter<"result">;
  readonly lastReloadSuccess: Gauge;
  readonly info: Gauge<"version">;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const r = registry;
    this.vrrpState = r.gauge("lvs_vrrp_state", "1 for the instance's current VRRP state, 0 for the others.", [
      "instance",
      "state",
    ]);
    this.transitions = r.counter("lvs_vrrp_transitions_total", "VRRP state transitions, by the state entered.", [
      "instance",
      "to",
    ]);
    this.advertsSent = r.counter("lvs_vrrp_adverts_sent_total", "VRRP advertisements sent.", ["instance"]);
    this.advertsReceived = r.counter("lvs_vrrp_adverts_received_total", "Valid VRRP advertisements received.", [
      "instance",
    ]);
    this.packetsDropped = r.counter("lvs_vrrp_packets_dropped_total", "Received VRRP packets discarded, by reason.", [
      "instance",
      "reason",
    ]);
    this.priority = r.gauge(
      "lvs_vrrp_priority",
      "Effective VRRP priority (configured priority adjusted by tracking).",
      ["instance"],
    );
    this.addressMismatch = r.counter(
      "lvs_vrrp_address_mismatch_total",
      "Advertisements whose virtual addresses differ from ours (misconfigured peer).",
      ["instance"],
    );
    this.garpSent = r.counter("lvs_vrrp_garp_sent_total", "Gratuitous ARPs sent for virtual addresses.", ["instance"]);
    this.reasserts = r.counter(
      "lvs_vrrp_master_reasserts_total",
      "Lower-priority advertisements received as master, each answered with an advertisement (and gratuitous ARP at most once a second).",
      ["instance"],
    );
    this.foreignVrid = r.counter(
      "lvs_vrrp_foreign_vrid_total",
      "VRRP adverts received for a VRID no instance of this agent runs on the interface (another router's group, or a stray or spoofed advert), dropped; each counted once.",
      ["interface"],
    );
    this.trackUp = r.gauge("lvs_track_up", "1 when a tracked interface or script is up, 0 when down.", [
      "kind",
      "name",
    ]);
    this.reloads = r.counter("lvs_agent_reloads_total", "Configuration reloads, by result (ok or rejected).", [
      "result",
    ]);
    this.lastReloadSuccess = r.gauge(
      "lvs_agent_config_last_reload_success_timestamp_seconds",
      "Unix time of the last configuration load that was applied.",
    );
    this.info = r.gauge("lvs_agent_info", "Always 1; labelled with the agent's version.", ["version"]);
  }

  /** One-hot state gauge: exactly one of the four states is 1, so `lvs_vrrp_state{state="MASTER"} == 1` works. */
  setState(instance: string, state: VrrpState): void {
    for (const s of VRRP_STATES) this.vrrpState.set({ instance, state: s }, s === state ? 1 : 0);
  }

  /** Drops a removed instance's series, so a reload does not leave stale ones behind. */
  forgetInstance(instance: string): void {
    for (const m of this.registry.all()) if (m.labelNames.includes("instance")) m.remove({ instance });
  }

  render(): string {
    return this.registry.render();
  }
}
