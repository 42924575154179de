// One HealthChecker per monitored real server (one with a health check), kept in step with the config:
// a reload restarts only the checkers whose target or health check settings changed, and results flow
// to the IPVS manager.
import { isDeepStrictEqual } from "node:util";
import type { AgentHealthCheckConfig as HealthCheckConfig } from "../config/agent-checks.ts";
import type { VirtualServerConfig } from "../config/ipvs.ts";
import type { Logger } from "../log.ts";
import { HealthChecker } from "../health/checker.ts";
import type { HealthResult } from "../health/core.ts";
import { realServerId, type Health } from "./desired.ts";

interface Entry {
  cfg: HealthCheckConfig;
  address: string;
  port: number;
  checker: HealthChecker;
}

export interface MonitoredServer {
  id: string;
  cfg: HealthCheckConfig;
  address: string;
  port: number;
}

/** The real servers that have a health check, with the check that applies to each. */
export function monitoredServers(vss: Record<string, VirtualServerConfig>): MonitoredServer[] {
  return Object.entries(vss).flatMap(([name, vs]) =>
    vs.realServers.flatMap((rs) => {
      const cfg = rs.healthCheck === "none" ? undefined : (rs.healthCheck ?? vs.healthCheck);
      return cfg ? [{ id: realServerId(name, vs, rs), cfg, address: rs.address, port: rs.port ?? vs.port ?? 0 }] : [];
    }),
  );
}

export class HealthSet {
  private readonly entries = new Map<string, Entry>();
  private readonly last = new Map<string, HealthResult>();

  constructor(
    private readonly log: Logger,
    private readonly onHealth: (id: string, h: Health) => void,
  ) {}

  /** Start, keep or restart checkers to match vss; returns the ids now monitored. */
  update(vss: Record<string, VirtualServerConfig>): Set<string> {
    const wanted = new Map(monitoredServers(vss).map((c) => [c.id, c]));
    for (const [id, e] of this.entries) {
      const w = wanted.get(id);
      if (w && isDeepStrictEqual(w.cfg, e.cfg) && w.address === e.address && w.port === e.port) continue;
      void e.checker.stop();
      this.entries.delete(id);
      this.last.delete(id);
    }
    for (const [id, w] of wanted) if (!this.entries.has(id)) this.startOne(w);
    return new Set(wanted.keys());
  }

  private startOne(w: MonitoredServer): void {
    const checker = new HealthChecker({
      cfg: w.cfg,
      target: { address: w.address, port: w.port },
      log: this.log,
      onChange: (up, r) => {
        this.last.set(w.id, r);
        this.log.info(up ? "real server up" : "real server down", {
          event: "check.change",
          server: w.id,
          up,
          detail: r.detail,
        });
        this.onHealth(w.id, { up, weight: r.weight });
      },
    });
    this.entries.set(w.id, { cfg: w.cfg, address: w.address, port: w.port, checker });
    checker.start();
  }

  /** Health as status shows it: up/down/unknown with the last result's detail. */
  states(): Map<string, { up?: boolean; detail?: string; ms?: number }> {
    return new Map(
      [...this.entries].map(([id, e]) => [
        id,
        { up: e.checker.up, detail: e.checker.last?.detail, ms: e.checker.last?.ms },
      ]),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => e.checker.stop()));
    this.entries.clear();
  }
}
