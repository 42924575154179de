// Prometheus series of the IPVS part: reconciles, writes, drift repairs, real-server health and the
// kernel's own per-destination counters (connections, packets, bytes, rates).
import { hostPort, type IpvsDestInfo } from "../ipvs/codec.ts";
import type { ReconcileReport } from "../ipvs/manager.ts";
import type { Counter, Gauge, Registry } from "./metrics.ts";

type DestLabels = "service" | "server";

export class IpvsMetrics {
  readonly reconciles: Counter<"result">;
  readonly writes: Counter<"op">;
  readonly driftRepairs: Counter;
  readonly serverUp: Gauge<DestLabels>;
  readonly weight: Gauge<DestLabels>;
  readonly activeConns: Gauge<DestLabels>;
  readonly inactiveConns: Gauge<DestLabels>;
  readonly conns: Counter<DestLabels>;
  readonly packets: Counter<DestLabels | "direction">;
  readonly bytes: Counter<DestLabels | "direction">;
  readonly cps: Gauge<DestLabels>;
  readonly bps: Gauge<DestLabels | "direction">;

  constructor(r: Registry) {
    const d: DestLabels[] = ["service", "server"];
    this.reconciles = r.counter("lvs_ipvs_reconciles_total", "IPVS reconcile passes, by result (ok or error).", [
      "result",
    ]);
    this.writes = r.counter("lvs_ipvs_writes_total", "IPVS write operations, by kind.", ["op"]);
    this.driftRepairs = r.counter("lvs_ipvs_drift_repairs_total", "Passes that repaired a table changed by hand.");
    this.serverUp = r.gauge(
      "lvs_ipvs_real_server_up",
      "1 when the real server's health check passes (or it has none).",
      d,
    );
    this.weight = r.gauge("lvs_ipvs_real_server_weight", "Weight of the real server in the kernel.", d);
    this.activeConns = r.gauge("lvs_ipvs_active_connections", "Active connections to the real server.", d);
    this.inactiveConns = r.gauge("lvs_ipvs_inactive_connections", "Inactive connections to the real server.", d);
    this.conns = r.counter(
      "lvs_ipvs_connections_total",
      "Connections scheduled to the real server (kernel counter).",
      d,
    );
    this.packets = r.counter("lvs_ipvs_packets_total", "Packets to/from the real server (kernel counter).", [
      ...d,
      "direction",
    ]);
    this.bytes = r.counter("lvs_ipvs_bytes_total", "Bytes to/from the real server (kernel counter).", [
      ...d,
      "direction",
    ]);
    this.cps = r.gauge("lvs_ipvs_connections_per_second", "Connection rate (kernel estimator, 2 s).", d);
    this.bps = r.gauge("lvs_ipvs_bytes_per_second", "Byte rate (kernel estimator, 2 s).", [...d, "direction"]);
  }

  report(r: ReconcileReport): void {
    this.reconciles.inc({ result: r.errors.length ? "error" : "ok" });
    for (const o of r.ops) this.writes.inc({ op: o.op });
    if (r.drift) this.driftRepairs.inc();
  }

  dest(service: string, info: IpvsDestInfo): void {
    const l = { service, server: hostPort(info.dest.address, info.dest.port) };
    const s = info.stats;
    this.weight.set(l, info.dest.weight);
    this.activeConns.set(l, info.activeConns);
    this.inactiveConns.set(l, info.inactConns);
    this.conns.mirror(l, Number(s.conns));
    this.packets.mirror({ ...l, direction: "in" }, Number(s.inPkts));
    this.packets.mirror({ ...l, direction: "out" }, Number(s.outPkts));
    this.bytes.mirror({ ...l, direction: "in" }, Number(s.inBytes));
    this.bytes.mirror({ ...l, direction: "out" }, Number(s.outBytes));
    this.cps.set(l, Number(s.cps));
    this.bps.set({ ...l, direction: "in" }, Number(s.inBps));
    this.bps.set({ ...l, direction: "out" }, Number(s.outBps));
  }
}
