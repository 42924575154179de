// lvs-agent command line: run | validate | reload | status [--json] | adverts | probe; `check` is
// validate's old name, still accepted. A thin shell: loading and validating live in config/, running in
// daemon.ts, the advert tally of `adverts` in vrrp/adverts.ts, `probe`'s checks in health/checker.ts.
import { parseArgs } from "node:util";
import { loadConfigDir, loadConfigFile, type LoadResult } from "./config/load.ts";
import { loadKeepalivedConf } from "./keepalived/load.ts";
import { Agent } from "./daemon.ts";
import { log } from "./log.ts";
import { startMetricsServer } from "./status/http.ts";
import { AgentNotRunning, EXIT_NOT_RUNNING, requestStatus, startStatusServer } from "./status/socket.ts";
import { formatStatusTable, type AgentStatus } from "./status/format.ts";
import { GlobalSettings, type AgentConfig } from "./config/schema.ts";
import { VrrpTransport } from "./vrrp/transport.ts";
import { AdvertTally, formatAdverts, listenSeconds } from "./vrrp/adverts.ts";
import { monitoredServers } from "./ipvs/health.ts";
import { runHealthCheckOnce } from "./health/checker.ts";

const USAGE = `usage: lvs-agent <command> [options]
  run      run the agent in the foreground
  validate load the configuration, list every problem and exit (0 valid, 1 invalid), like keepalived -t
  reload   ask the running agent to reload its configuration
  status   show the running agent's instances (--json for JSON)
  adverts  --interface IF[,IF...] [--seconds 3] [--json]: listen for VRRP adverts (no agent needed) and
           list each sender with its VRID, version, priority and auth type
  probe    run every real server's health check once, now, as the configuration says (no agent needed)
options:
  --config-dir DIR   directory of JSON fragments (default /etc/lvs-agent/conf.d)
  --config FILE      a single JSON file instead
  --keepalived-conf FILE  a keepalived.conf instead (global_defs, vrrp_script, vrrp_instance, virtual_server)
  --config-id ID     with --keepalived-conf: the id its "@ID" lines are read for (keepalived -i; default the host name)
  --socket PATH      status socket (default from the config, /run/lvs-agent/agent.sock)
run only, each overriding the config's global settings (a second agent on one host needs all three):
  --metrics-listen HOST:PORT  Prometheus /metrics ("" turns it off; default 127.0.0.1:9572)
  --state-dir DIR    state kept across restarts (default /run/lvs-agent)
exit status: 0 done, 1 failed (reload: rejected), 2 usage, ${EXIT_NOT_RUNNING} no agent running at the socket (reload, status)`;

const DEFAULT_DIR = "/etc/lvs-agent/conf.d";

function options(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "config-dir": { type: "string" },
      config: { type: "string" },
      "keepalived-conf": { type: "string" },
      "config-id": { type: "string" },
      socket: { type: "string" },
      "metrics-listen": { type: "string" },
      "state-dir": { type: "string" },
      json: { type: "boolean" },
      interface: { type: "string" },
      seconds: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Opts = ReturnType<typeof options>["values"];

function loader(o: Opts): () => Promise<LoadResult> {
  const load = o["keepalived-conf"]
    ? () => loadKeepalivedConf(o["keepalived-conf"]!, log, { configId: o["config-id"] })
    : o.config
      ? () => loadConfigFile(o.config!)
      : () => loadConfigDir(o["config-dir"] ?? DEFAULT_DIR);
  const overrides = globalOverrides(o);
  return async () => {
    const r = await load();
    return r.ok ? { ...r, config: { ...r.config, global: { ...r.config.global, ...overrides } } } : r;
  };
}

/**
 * The options that place one agent's files and ports (--socket, --metrics-listen, --state-dir) win over
 * its config, on every reload too, so two agents on one host (two VRRP domains, a lab) never collide.
 */
function globalOverrides(o: Opts): Partial<AgentConfig["global"]> {
  const out: Partial<AgentConfig["global"]> = {};
  if (o.socket !== undefined) out.statusSocket = o.socket;
  if (o["metrics-listen"] !== undefined) out.metricsListen = o["metrics-listen"];
  if (o["state-dir"] !== undefined) out.stateDir = o["state-dir"];
  return out;
}

async function socketPath(o: Opts): Promise<string> {
  if (o.socket) return o.socket;
  const r = await loader(o)();
  return r.ok ? r.config.global.statusSocket : GlobalSettings.parse({}).statusSocket;
}

async function validate(o: Opts): Promise<number> {
  const r = await loader(o)();
  // Warnings first, on stdout with the verdict: what was accepted but ignored or changed, by file:line.
  if (r.notes?.length) console.log(`warnings:\n  ${r.notes.join("\n  ")}`);
  if (r.ok) {
    const n = Object.keys(r.config.instances).length;
    console.log(`configuration valid: ${n} instance(s) from ${r.sources.length} file(s)`);
    return 0;
  }
  console.error(`configuration invalid:\n  ${r.problems.join("\n  ")}`);
  return 1;
}

/**
 * `check`, validate's name until "check" came to mean only the Pulumi provider's Check: scripts in the
 * wild still call it, so it keeps working and says once, on stderr (stdout stays validate's), what to use.
 */
async function deprecatedCheck(o: Opts): Promise<number> {
  console.error("lvs-agent: the check command is deprecated, use lvs-agent validate (same options)");
  return validate(o);
}

async function run(o: Opts): Promise<number> {
  const agent = new Agent(log, loader(o));
  await agent.start();
  const g = agent.globals;
  const closeStatus = await startStatusServer(g.statusSocket, {
    status: () => agent.status(),
    reload: () => agent.reload(),
  });
  const closeMetrics = g.metricsListen
    ? await startMetricsServer(g.metricsListen, agent.metrics.registry)
    : async () => undefined;
  log.info("lvs-agent running", {
    event: "agent.start",
    pid: process.pid,
    instances: agent.instanceStatus().map((i) => i.name),
  });
  // reload() answers every failure itself; the catch is the last guard of a process holding VIPs.
  process.on(
    "SIGHUP",
    () =>
      void agent.reload().catch((err: Error) => log.error(`reload failed: ${err.message}`, { event: "agent.reload" })),
  );
  return new Promise((resolve) => {
    const shutdown = async (sig: string) => {
      log.info("shutting down", { event: "agent.stop", signal: sig });
      await agent.stop();
      await closeStatus();
      await closeMetrics();
      resolve(0);
    };
    process.once("SIGTERM", () => void shutdown("SIGTERM"));
    process.once("SIGINT", () => void shutdown("SIGINT"));
  });
}

async function reload(o: Opts): Promise<number> {
  const r = (await requestStatus(await socketPath(o), "reload")) as {
    ok: boolean;
    applied?: boolean;
    problems?: string[];
  };
  const problems = (r.problems ?? []).join("\n  ");
  if (r.ok) console.log("reload applied");
  else if (r.applied) console.error(`reload taken in but not fully applied (fix and reload again):\n  ${problems}`);
  else console.error(`reload rejected, running configuration kept:\n  ${problems}`);
  return r.ok ? 0 : 1;
}

async function status(o: Opts): Promise<number> {
  const s = (await requestStatus(await socketPath(o), "status")) as AgentStatus;
  console.log(o.json ? JSON.stringify(s, null, 2) : formatStatusTable(s));
  return 0;
}

/**
 * `adverts`: the agent's own VRRP socket on each interface (224.0.0.18 joined, as a multicast instance
 * does) for --seconds, every packet counted by sender (vrid/adverts.ts). Runs beside a running agent:
 * each raw socket gets its own copy of every packet.
 */
async function adverts(o: Opts): Promise<number> {
  const interfaces = (o.interface ?? "").split(",").filter(Boolean);
  const seconds = listenSeconds(o.seconds);
  if (interfaces.length === 0 || typeof seconds === "string") {
    console.error(`lvs-agent adverts: ${typeof seconds === "string" ? seconds : "name --interface"}`);
    return 2;
  }
  const tally = new AdvertTally(interfaces, seconds);
  const open: VrrpTransport[] = [];
  try {
    for (const ifname of interfaces) {
      const t = await VrrpTransport.open({ ifname, multicast: true });
      open.push(t);
      t.on("packet", (buf: Buffer) => tally.add(ifname, buf));
      t.on("error", (err: Error) => console.error(`lvs-agent adverts: ${err.message}`));
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    for (const t of open) t.drain();
  } finally {
    for (const t of open) t.close();
  }
  const report = tally.report();
  process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatAdverts(report));
  return 0;
}

/** `probe`: each real server's health check(s) run once from here, as the agent runs them; exit 1 if one fails. */
async function probe(o: Opts): Promise<number> {
  const r = await loader(o)();
  if (!r.ok) {
    console.error(`configuration invalid:\n  ${r.problems.join("\n  ")}`);
    return 1;
  }
  const results = await Promise.all(
    monitoredServers(r.config.virtualServers).map(async (s) => {
      const h = await runHealthCheckOnce(s.cfg, { address: s.address, port: s.port });
      return { check: s.key, type: s.cfg.type, address: s.address, port: s.port, ok: h.ok, detail: h.detail };
    }),
  );
  if (o.json) console.log(JSON.stringify(results));
  else for (const x of results) console.log(`${x.ok ? "up  " : "DOWN"}  ${x.check}  ${x.type}  ${x.detail}`);
  return results.every((x) => x.ok) ? 0 : 1;
}

const COMMANDS: Record<string, (o: Opts) => Promise<number>> = {
  run,
  validate,
  check: deprecatedCheck,
  reload,
  status,
  adverts,
  probe,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = options(argv);
  const cmd = COMMANDS[positionals[0] ?? ""];
  if (values.help || !cmd) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  return cmd(values);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    log.error(err.message, { event: "agent.fatal" });
    console.error(`lvs-agent: ${err.message}`);
    process.exit(err instanceof AgentNotRunning ? EXIT_NOT_RUNNING : 1);
  },
);
