// Benchmark: the CPU cost of TCP health checks at scale. N real servers (one process in a lab host
// listening on N ports) checked every second by N HealthCheckers in a child process in another lab host;
// the child's CPU (utime + stime from /proc/PID/stat) over a measured window, as % of one core.
// Target: 1,000 checks a second under 10% of one core.
//
//   node --import tsx bench/health-checks.ts            print the result lines
//   (internal) bench/health-checks.ts --listen|--watch  the two halves, run inside the lab hosts
import { TICKS_PER_S, cpuTicks } from "./common.ts";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { HealthCheck } from "../agent/src/config/health-checks.ts";
import { createLogger } from "../agent/src/log.ts";
import { HealthChecker } from "../agent/src/health/checker.ts";
import { Lab } from "../test/helpers/netns.ts";
import { Watched } from "../test/helpers/procs.ts";
import { randomSubnet } from "../test/net/fixtures/client.ts";

const SELF = fileURLToPath(import.meta.url);
const BASE_PORT = 20000;

export interface BenchOptions {
  servers?: number;
  intervalS?: number;
  /** measured window after warm-up, seconds */
  seconds?: number;
  /** spread the first checks over one interval (warmup = interval) instead of firing them together */
  spread?: boolean;
}

export async function benchHealthChecks(opts: BenchOptions = {}): Promise<string[]> {
  const { servers = 1000, intervalS = 1, seconds = 10, spread = true } = opts;
  const net = randomSubnet();
  const lab = Lab.create([
    { name: "srv", addr: `${net}.1/24` },
    { name: "chk", addr: `${net}.2/24` },
  ]);
  try {
    const srv = new Watched(
      lab.host("srv").spawn(process.execPath, ["--import", "tsx", SELF, "--listen", String(servers)]),
    );
    await srv.waitLine((l) => l.text === "listening", 30_000, "listeners");
    const chk = new Watched(
      lab
        .host("chk")
        .spawn(process.execPath, [
          "--import",
          "tsx",
          SELF,
          "--watch",
          `${net}.1`,
          String(servers),
          String(intervalS),
          spread ? "1" : "0",
        ]),
    );
    await chk.waitLine((l) => l.text === "started", 30_000, "checkers");
    // Let warm-up spreading, JIT and the first connections settle before measuring.
    await new Promise((r) => setTimeout(r, (intervalS * 2 + 1) * 1000));
    // The next stats line, not one printed while nobody was reading.
    const stats = async () =>
      parseStats((await chk.waitLine((l) => l.text.startsWith("stats"), 5000, "stats", chk.lines.length)).text);
    const sample = async () => ({ cpu: cpuTicks(chk.pid), t: performance.now(), stats: await stats() });
    const before = await sample();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = await sample();
    const cpuPct = ((after.cpu - before.cpu) / TICKS_PER_S / ((after.t - before.t) / 1000)) * 100;
    const rate = (after.stats.checks - before.stats.checks) / ((after.stats.t - before.stats.t) / 1000);
    return [
      `checks tcp=${servers} interval=${intervalS}s cpu_pct=${cpuPct.toFixed(1)} checks_ok=${after.stats.up}`,
      `checks tcp=${servers} checks_per_s=${rate.toFixed(0)} failed_checks=${after.stats.failed - before.stats.failed} window_s=${seconds} spread=${spread}`,
    ];
  } finally {
    lab.destroy();
  }
}

/** "stats t=.. checks=.. failed=.. up=.." as numbers. */
function parseStats(line: string): Record<"t" | "checks" | "failed" | "up", number> {
  const get = (k: string) => Number(new RegExp(`(?:^| )${k}=(\\d+)`).exec(line)?.[1]);
  return { t: get("t"), checks: get("checks"), failed: get("failed"), up: get("up") };
}

// ---------------------------------------------------------------------------------------------------
// The two halves, run inside lab hosts.

function listen(n: number): void {
  let pending = n;
  for (let i = 0; i < n; i++) {
    const server = createServer((sock) => sock.on("error", () => {}).end());
    server.listen(BASE_PORT + i, () => --pending === 0 && console.log("listening"));
  }
}

function watch(address: string, n: number, intervalS: number, spread: boolean): void {
  const cfg = HealthCheck.parse({
    type: "tcp",
    interval: intervalS,
    connectTimeout: 1,
    retries: 0,
    warmup: spread ? intervalS : 0,
  });
  const log = createLogger(process.stderr, { level: "warn" });
  const totals = { checks: 0, failed: 0 };
  const checkers: HealthChecker[] = [];
  for (let i = 0; i < n; i++) {
    const hc = new HealthChecker({
      cfg,
      target: { address, port: BASE_PORT + i },
      log,
      onChange: () => {},
      onResult: (r) => {
        totals.checks++;
        if (!r.ok) totals.failed++;
      },
    });
    hc.start();
    checkers.push(hc);
  }
  console.log("started");
  setInterval(() => {
    const up = checkers.filter((c) => c.up === true).length;
    console.log(`stats t=${performance.now().toFixed(0)} checks=${totals.checks} failed=${totals.failed} up=${up}`);
  }, 1000);
}

const [mode, ...args] = process.argv.slice(2);
if (process.argv[1] === SELF) {
  if (mode === "--listen") listen(Number(args[0]));
  else if (mode === "--watch") watch(args[0]!, Number(args[1]), Number(args[2]), args[3] === "1");
  else for (const line of await benchHealthChecks()) console.log(line);
}
