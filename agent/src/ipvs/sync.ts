// The IPVS connection sync daemon following VRRP (keepalived's lvs_sync_daemon): the director whose
// instance is MASTER multicasts its connection table; the others run the backup daemon and load it,
// so after a failover the new master already knows the established connections.
import type { SyncDaemonConfig } from "../config/ipvs.ts";
import type { VrrpState } from "../vrrp/fsm.ts";
import type { IpvsDaemon } from "./codec.ts";

export interface SyncKernel {
  listDaemons(): Promise<IpvsDaemon[]>;
  startDaemon(d: IpvsDaemon): Promise<void>;
  stopDaemon(state: IpvsDaemon["state"]): Promise<void>;
}

export interface SyncPlan {
  stop: IpvsDaemon["state"][];
  start?: IpvsDaemon;
}

/** Pure: which daemons to stop and start so exactly the wanted one runs with the wanted settings. */
export function planSync(
  cfg: SyncDaemonConfig | undefined,
  vrrp: VrrpState | undefined,
  running: IpvsDaemon[],
): SyncPlan {
  if (!cfg) return { stop: running.map((d) => d.state) };
  const want: IpvsDaemon = {
    state: vrrp === "MASTER" ? "master" : "backup",
    ifname: cfg.interface,
    syncId: cfg.syncId,
  };
  const matches = (d: IpvsDaemon) => d.state === want.state && d.ifname === want.ifname && d.syncId === want.syncId;
  const stop = running.filter((d) => !matches(d)).map((d) => d.state);
  return running.some(matches) ? { stop } : { stop, start: want };
}

export async function applySync(
  kernel: SyncKernel,
  cfg: SyncDaemonConfig | undefined,
  vrrp: VrrpState | undefined,
): Promise<SyncPlan> {
  const plan = planSync(cfg, vrrp, await kernel.listDaemons());
  for (const s of plan.stop) await kernel.stopDaemon(s);
  if (plan.start) await kernel.startDaemon(plan.start);
  return plan;
}
