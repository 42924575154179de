// One HealthChecker per health check of a monitored real server (keepalived allows several checkers in
// one real_server: the server is up only while all pass), kept in step with the config: a reload
// restarts only the checkers whose target or settings changed, and each server's combined health flows
// to the IPVS manager.
import { isDeepStrictEqual } from "node:util";
import type { AgentHealthCheckConfig as HealthCheckConfig } from "../config/agent-checks.ts";
import type { VirtualServerConfig } from "../config/ipvs.ts";
import type { Logger } from "../log.ts";
import { HealthChecker } from "../health/checker.ts";
import { realServerId, type Health } from "./desired.ts";

interface Entry extends MonitoredServer {
  checker: HealthChecker;
}

export interface MonitoredServer {
  /** one per check: the server's id, then #2, #3 ... for its further checks */
  key: string;
  /** the real server's id (desired.ts realServerId) */
  id: string;
  cfg: HealthCheckConfig;
  address: string;
  port: number;
  /** keepalived alpha: a check that has not answered yet counts as failed */
  alpha: boolean;
}

/** The checks of the real servers that have any, one entry per check. */
export function monitoredServers(vss: Record<string, VirtualServerConfig>): MonitoredServer[] {
  return Object.entries(vss).flatMap(([name, vs]) =>
    vs.realServers.flatMap((rs) => {
      const first = rs.healthCheck === "none" ? undefined : (rs.healthCheck ?? vs.healthCheck);
      const cfgs = [...(first ? [first] : []), ...(rs.moreHealthChecks ?? [])];
      const id = realServerId(name, vs, rs);
      const base = { id, address: rs.address, port: rs.port ?? vs.port ?? 0, alpha: vs.alpha };
      return cfgs.map((cfg, i) => ({ ...base, key: i === 0 ? id : `${id}#${i + 1}`, cfg }));
    }),
  );
}

/**
 * A server's health from its checks' (undefined: no answer yet): down when one is down, or, with
 * alpha, when one has not answered; up otherwise. Undefined while nothing is known. Pure.
 */
export function combinedUp(ups: (boolean | undefined)[], alpha: boolean): boolean | undefined {
  if (ups.some((u) => u === false)) return false;
  if (ups.every((u) => u === true)) return true;
  return alpha ? false : ups.some((u) => u === true) ? true : undefined;
}

export class HealthSet {
  private readonly entries = new Map<string, Entry>();
  /** the health last reported per server id */
  private readonly reported = new Map<string, boolean>();

  constructor(
    private readonly log: Logger,
    private readonly onHealth: (id: string, h: Health) => void,
  ) {}

  /** Start, keep or restart checkers to match vss; returns the server ids now monitored. */
  update(vss: Record<string, VirtualServerConfig>): Set<string> {
    const wanted = new Map(monitoredServers(vss).map((c) => [c.key, c]));
    for (const [key, e] of this.entries) {
      const w = wanted.get(key);
      if (w && isDeepStrictEqual(w.cfg, e.cfg) && w.address === e.address && w.port === e.port && w.alpha === e.alpha)
        continue;
      void e.checker.stop();
      this.entries.delete(key);
      this.reported.delete(e.id);
    }
    for (const [key, w] of wanted) if (!this.entries.has(key)) this.startOne(w);
    return new Set([...wanted.values()].map((w) => w.id));
  }

  private startOne(w: MonitoredServer): void {
    const checker = new HealthChecker({
      cfg: w.cfg,
      target: { address: w.address, port: w.port },
      log: this.log,
      onChange: (up, r) => {
        this.log.info(up ? "real server up" : "real server down", {
          event: "check.change",
          server: w.id,
          ...(w.key !== w.id ? { check: w.key } : {}),
          up,
          detail: r.detail,
        });
        this.report(w.id, r.weight);
      },
    });
    this.entries.set(w.key, { ...w, checker });
    checker.start();
  }

  private checksOf(id: string): Entry[] {
    return [...this.entries.values()].filter((e) => e.id === id);
  }

  /** Tell the manager when a server's combined health changes (or a dynamic weight comes in). */
  private report(id: string, weight: number | undefined): void {
    const checks = this.checksOf(id);
    const up = combinedUp(
      checks.map((e) => e.checker.up),
      checks[0]?.alpha ?? false,
    );
    if (up === undefined) return;
    if (this.reported.get(id) === up && weight === undefined) return;
    this.reported.set(id, up);
    this.onHealth(id, { up, weight });
  }

  /** Health as status shows it per server: up/down/unknown with the last results' details. */
  states(): Map<string, { up?: boolean; detail?: string; ms?: number }> {
    const ids = new Set([...this.entries.values()].map((e) => e.id));
    return new Map(
      [...ids].map((id) => {
        const checks = this.checksOf(id);
        const details = checks.map((e) => e.checker.last?.detail).filter((d) => d !== undefined);
        const ms = checks.map((e) => e.checker.last?.ms).filter((m) => m !== undefined);
        return [
          id,
          {
            up: combinedUp(
              checks.map((e) => e.checker.up),
              checks[0]?.alpha ?? false,
            ),
            ...(details.length ? { detail: details.join("; ") } : {}),
            ...(ms.length ? { ms: Math.max(...ms) } : {}),
          },
        ];
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.checker.stop()));
    this.entries.clear();
  }
}
