// Tracked objects of one instance, folded into an effective priority and a fault list (keepalived's
// track_interface / track_script / track_process). The instance's own interface is always tracked: without its link
// the router can neither hear nor be heard, so it goes to FAULT.
import type { AgentVrrpInstanceConfig } from "../config/schema.ts";
import { getLink, watchLink } from "../net/link.ts";
import { effectivePriority } from "../track/priority.ts";
import type { InstanceHost } from "./host.ts";
import type { TrackStatus } from "../status/format.ts";

/** A tracked object as status shows it. */
export type TrackState = TrackStatus;

export interface TrackResult {
  priority: number;
  faults: string[];
}

/** keepalived: a weight of 0 (or none) means the object going down is a fault, not a priority change. */
function faultOrWeight(w: number | undefined): number | undefined {
  return w === 0 ? undefined : w;
}

export class Tracking {
  private readonly tracks: TrackState[] = [];
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly instance: string,
    private readonly cfg: AgentVrrpInstanceConfig,
    private readonly host: InstanceHost,
    private readonly onChange: (r: TrackResult) => void,
  ) {}

  async start(): Promise<void> {
    const ifaces = [{ name: this.cfg.interface, weight: undefined as number | undefined }, ...this.cfg.trackInterfaces];
    for (const ref of ifaces) {
      if (this.tracks.some((t) => t.kind === "interface" && t.name === ref.name)) continue;
      const t: TrackState = {
        kind: "interface",
        name: ref.name,
        up: (await getLink(ref.name)).running,
        weight: faultOrWeight(ref.weight),
      };
      this.tracks.push(t);
      this.stops.push(watchLink(ref.name, (running) => this.set(t, running)));
    }
    for (const ref of this.cfg.trackScripts) {
      // A script counts as down until its first result, as keepalived starts scripts in the failed state.
      const t: TrackState = { kind: "script", name: ref.name, up: false };
      this.tracks.push(t);
      const sub = this.host.subscribeScript(ref.name, (up) => this.set(t, up));
      t.weight = faultOrWeight(ref.weight ?? sub.weight);
      t.up = sub.up() ?? false;
      this.stops.push(() => sub.unsubscribe());
    }
    for (const ref of this.cfg.trackProcesses) {
      // Down until /proc was first read, as a script is until its first result.
      const t: TrackState = { kind: "process", name: ref.name, up: false };
      this.tracks.push(t);
      const sub = this.host.subscribeProcess!(ref.name, (up) => this.set(t, up));
      t.weight = faultOrWeight(ref.weight ?? sub.weight);
      t.up = sub.up() ?? false;
      this.stops.push(() => sub.unsubscribe());
    }
    this.emit();
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  private set(t: TrackState, up: boolean): void {
    if (t.up === up) return;
    t.up = up;
    this.host.log.info("track changed", { instance: this.instance, kind: t.kind, name: t.name, up });
    this.emit();
  }

  result(): TrackResult {
    const { priority } = effectivePriority(this.cfg.priority, this.tracks);
    const faults = this.tracks.filter((t) => !t.up && t.weight === undefined).map((t) => `${t.kind} ${t.name} down`);
    return { priority, faults };
  }

  private emit(): void {
    for (const t of this.tracks) this.host.metrics.trackUp.set({ kind: t.kind, name: t.name }, t.up ? 1 : 0);
    this.onChange(this.result());
  }

  states(): TrackState[] {
    return this.tracks.map((t) => ({ ...t }));
  }
}
