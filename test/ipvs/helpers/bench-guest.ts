// Guest side of bench/ipvs.ts, run inside user-mode Linux (the host kernel has no IPVS): applies one big
// table to an empty kernel with our IpvsManager over IpvsClient and with `ipvsadm -R` of the same rules,
// alternating, then times a no-op reconcile of it. Prints result lines starting with "ipvs " on stdout;
// the host picks them out of the run's output.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { VirtualServer, type VirtualServerConfig } from "../../../agent/src/config/ipvs.ts";
import type { IpvsDest, IpvsDestKey, IpvsService, IpvsServiceKey } from "../../../agent/src/ipvs/codec.ts";
import { IpvsClient } from "../../../agent/src/ipvs/genl.ts";
import { IpvsManager, type IpvsKernel } from "../../../agent/src/ipvs/manager.ts";
import { createLogger } from "../../../agent/src/log.ts";

const SERVICES = 1000;
const DESTS = 10;
/** each way, alternating; the median is reported */
const RUNS = 5;

const addr = (net: number, i: number) => `10.${net}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** SERVICES TCP services (a third each rr, wrr, wlc), DESTS DR real servers each with weights 1..DESTS. */
function table(): Record<string, VirtualServerConfig> {
  const schedulers = ["rr", "wrr", "wlc"];
  const out: Record<string, VirtualServerConfig> = {};
  for (let s = 0; s < SERVICES; s++) {
    out[`vs${s}`] = VirtualServer.parse({
      address: addr(100, s),
      port: 80 + (s % 3),
      scheduler: schedulers[s % 3],
      realServers: Array.from({ length: DESTS }, (_, d) => ({ address: addr(200, s * DESTS + d), weight: d + 1 })),
    });
  }
  return out;
}

/** The same rules in ipvsadm's save format (ipvsadm -S -n). */
function saveFormat(vss: Record<string, VirtualServerConfig>): string {
  const lines: string[] = [];
  for (const vs of Object.values(vss)) {
    const svc = `-t ${vs.address}:${vs.port}`;
    lines.push(`-A ${svc} -s ${vs.scheduler}`);
    for (const rs of vs.realServers) lines.push(`-a ${svc} -r ${rs.address}:${vs.port} -g -w ${rs.weight}`);
  }
  return lines.join("\n") + "\n";
}

/** IpvsClient with its writes counted: a no-op reconcile must really write nothing. */
class Counting implements IpvsKernel {
  writes = 0;
  constructor(private readonly c: IpvsClient) {}
  listServices() {
    return this.c.listServices();
  }
  listDests(k: IpvsServiceKey) {
    return this.c.listDests(k);
  }
  addService(s: IpvsService) {
    this.writes++;
    return this.c.addService(s);
  }
  editService(s: IpvsService) {
    this.writes++;
    return this.c.editService(s);
  }
  delService(k: IpvsServiceKey) {
    this.writes++;
    return this.c.delService(k);
  }
  addDest(k: IpvsServiceKey, d: IpvsDest) {
    this.writes++;
    return this.c.addDest(k, d);
  }
  editDest(k: IpvsServiceKey, d: IpvsDest) {
    this.writes++;
    return this.c.editDest(k, d);
  }
  delDest(k: IpvsServiceKey, d: IpvsDestKey) {
    this.writes++;
    return this.c.delDest(k, d);
  }
}

function ipvsadm(args: string[], input?: string): string {
  const r = spawnSync("ipvsadm", args, { input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ipvsadm ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const note = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const vss = table();
  const rules = saveFormat(vss);
  const dests = SERVICES * DESTS;
  const client = await IpvsClient.open();
  const stateDir = mkdtempSync("/run/lvs-bench-ipvs-");
  const log = createLogger({ write: () => undefined });
  const ours: number[] = [];
  const theirs: number[] = [];
  let noop = { ms: 0, writes: -1 };
  try {
    for (let run = 0; run < RUNS; run++) {
      ipvsadm(["-C"]);
      const kernel = new Counting(client);
      const manager = new IpvsManager({ kernel, log, stateFile: join(stateDir, `owned-${run}.json`), periodMs: 0 });
      const t0 = performance.now();
      const r = await manager.start(vss);
      ours.push(performance.now() - t0);
      if (r.errors.length) throw new Error(`our apply failed: ${r.errors.slice(0, 3).join("; ")}`);
      if (kernel.writes !== SERVICES + dests)
        throw new Error(`our apply wrote ${kernel.writes} times, expected ${SERVICES + dests}`);
      const oursSaved = ipvsadm(["-S", "-n"]);
      if (run === RUNS - 1) {
        const before = kernel.writes;
        const t1 = performance.now();
        const again = await manager.reconcile();
        noop = { ms: performance.now() - t1, writes: kernel.writes - before };
        if (again.ops.length !== noop.writes || again.errors.length)
          throw new Error(`no-op reconcile planned ${again.ops.length} ops, wrote ${noop.writes}`);
      }
      manager.stop();

      ipvsadm(["-C"]);
      const t2 = performance.now();
      ipvsadm(["-R"], rules);
      theirs.push(performance.now() - t2);
      // both ways must have produced the very same table
      if (ipvsadm(["-S", "-n"]) !== oursSaved) throw new Error("ipvsadm -R and our apply produced different tables");
      note(`run ${run + 1}/${RUNS}: ours ${Math.round(ours.at(-1)!)} ms, ipvsadm -R ${Math.round(theirs.at(-1)!)} ms`);
    }
  } finally {
    ipvsadm(["-C"]);
    client.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
  const o = median(ours);
  const t = median(theirs);
  console.log(
    `ipvs apply services=${SERVICES} dests=${dests} ours_ms=${Math.round(o)} ipvsadm_ms=${Math.round(t)} ratio=${(o / t).toFixed(2)} runs=${RUNS}`,
  );
  console.log(`ipvs noop services=${SERVICES} ms=${Math.round(noop.ms)} writes=${noop.writes}`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench ipvs (guest): ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
