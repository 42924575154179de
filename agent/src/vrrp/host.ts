// What an instance needs from the agent around it. The daemon implements it; keeping it an interface
// means instances share one GARP socket per device, one runner per track script, one metrics registry.
import type { VrrpInstanceConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { AgentMetrics } from "../status/metrics.ts";
import type { VrrpState } from "./fsm.ts";

export interface ScriptSubscription {
  /** current result; undefined until the first run finished */
  up(): boolean | undefined;
  /** the script's own weight, used when the instance's reference sets none */
  readonly weight: number;
  unsubscribe(): void;
}

export interface InstanceHost {
  log: Logger;
  metrics: AgentMetrics;
  sendGarp(device: string, frames: Buffer[]): void;
  /** follow a named track script; cb runs on every change of its result */
  subscribeScript(name: string, cb: (up: boolean) => void): ScriptSubscription;
  notify(instance: string, cfg: VrrpInstanceConfig, state: VrrpState, priority: number): void;
  /** the instance's own tracked objects went from all up to some down, or back (sync groups follow it) */
  ownFaultsChanged?(instance: string): void;
  /** the instance is in a vrrp_sync_group: its Master_Down_Timer only makes it want MASTER */
  inSyncGroup?(instance: string): boolean;
  /**
   * a sync group member wants MASTER (why: its timer's reason; again: it asks once more, a
   * Master_Down_Interval later); the host takes its group over when all do
   */
  wantsMaster?(instance: string, why: string, again: boolean): void;
  /** an advert for another VRID reached the instance's socket (foreign-vrid.ts decides who counts it) */
  foreignAdvert?(instance: string, vrid: number, src: string): void;
  /** follow a named tracked process (vrrp_track_process); cb runs on every change */
  subscribeProcess?(name: string, cb: (up: boolean) => void): ScriptSubscription;
}
