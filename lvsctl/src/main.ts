// lvsctl command line: a cluster file deployed by the real Pulumi engine (`lvsctl up|preview|refresh|
// destroy|status -f cluster.yaml`), and the local lab (`lvsctl lab up|status|failover|drift|repair|down`),
// a real LVS cluster on one machine. Output is for people; --json for machines.
import { parseArgs } from "node:util";
import { ClusterFileError, clusterOp, clusterStatus, summaryLine } from "./cluster/commands.ts";
import { EngineFailure } from "./cluster/engine-output.ts";
import { formatClusterView } from "./cluster/status-view.ts";
import type { Op } from "./cluster/operations.ts";
import { rolloutCommand } from "./rollout/command.ts";
import { doctorCli } from "./doctor/command.ts";
import { importCli, IMPORT_USAGE } from "./import/command.ts";
import { eventLine, summary } from "./rollout/format.ts";
import {
  formatStatus,
  labDestroy,
  labClusterFile,
  labDown,
  labDrift,
  labFailover,
  LabError,
  labPreview,
  labRepair,
  labStatus,
  labUp,
  type FaultKind,
} from "./lab/commands.ts";
import { ENGINE_OPS, engineOp, type EngineOp } from "./lab/engine-op.ts";
import { echoEngineTo } from "./lab/up.ts";

const USAGE = `usage: lvsctl <command> -f cluster.yaml [--stack NAME] [--backend URL] [--json]
  up        deploy the cluster file (pulumi up): agents, VIPs, virtual servers, real servers prepared
  preview   what an update would change on the hosts as they are (pulumi preview --refresh --diff);
            exits 2 when there are changes, so cron and CI can alert on drift
  refresh   read every host back into the state (pulumi refresh)
  destroy   remove the cluster from its hosts (pulumi destroy)
  status    each VIP's master, each director's VRRP state, each virtual server's real servers
  rollout   -f sites.yaml: each site's cluster file deployed in turn, the canary first, then the waves;
            after each site its gates (one master per VIP, real servers healthy, no drift, an answer
            through each VIP); the first failure stops it   [--rollback: roll that site back]
  doctor    examine the running cluster: VIP on one director, ARP suppression and loopback VIPs on
            real servers, VRRP adverts heard and agreeing, no foreign router on the VRID, no firewall
            dropping VRRP, ip_forward for NAT, real servers answering directly and through the VIP;
            each finding with its host and fix; exits 1 when one fails
  -f        the cluster file: YAML or JSON, a ClusterSpec (what lvs.Cluster takes) plus ssh defaults
  --stack   the stack (default: the file's name without extension); one per site or environment
  --backend where the state lives (default: .lvsctl/state beside the file): file://, s3://, https://...

usage: lvsctl lab <command> [--name NAME] [--json]
  up        build the lab's hosts (directors, real servers with nginx, a client) and deploy the
            cluster with pulumi up   [--directors N (2)] [--real-servers N (2)]
            [--director-kind auto|netns|uml]: namespaces where this kernel has IPVS, else UML guests
            [--unreachable rs2,...]: stop those real servers' sshd first, to see a deployment fail
            [--hosts-only]: make the hosts, deploy nothing (then lab cluster-file, lvsctl up -f)
            [--reach-from LAB]: that lab's control namespace reaches this lab's hosts too
  status    the cluster in one table
  failover  fail the master and show what the client saw   [--crash (default) | --stop | --link]
  drift     edit the hosts by hand, then show pulumi preview --refresh --diff
  preview   pulumi preview --refresh --diff: what an update would change on the hosts as they are
  repair    pulumi up --refresh: every hand edit undone
  destroy   pulumi destroy: the cluster removed, the hosts kept (lab down removes them)
  down      pulumi destroy, then remove every namespace, guest and process of the lab
  cluster-file  the lab as a cluster file (YAML) for lvsctl up -f, run in the lab's control namespace
  --name    the lab (default "lab"); a second lab needs its own name

${IMPORT_USAGE}`;

function options(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: "string", short: "f" },
      stack: { type: "string" },
      backend: { type: "string" },
      name: { type: "string", default: "lab" },
      directors: { type: "string" },
      "real-servers": { type: "string" },
      unreachable: { type: "string" },
      "hosts-only": { type: "boolean" },
      "reach-from": { type: "string" },
      "director-kind": { type: "string" },
      crash: { type: "boolean" },
      stop: { type: "boolean" },
      link: { type: "boolean" },
      json: { type: "boolean" },
      rollback: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof options>["values"];
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

async function lab(cmd: string | undefined, v: Values): Promise<number> {
  const say = v.json ? () => undefined : (l: string) => console.log(l);
  if (v.json) echoEngineTo(process.stderr);
  const json = (x: unknown) => v.json && console.log(JSON.stringify(x, null, 2));
  const name = v.name!;
  switch (cmd) {
    case "up":
      json(
        await labUp(
          {
            name,
            directors: num(v.directors),
            realServers: num(v["real-servers"]),
            directorKind: v["director-kind"],
            unreachable: v.unreachable?.split(",") ?? [],
            hostsOnly: v["hosts-only"] ?? false,
            reachFrom: v["reach-from"],
          },
          say,
        ),
      );
      return 0;
    case "status": {
      const s = labStatus(name);
      console.log(v.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      return 0;
    }
    case "failover": {
      const kind: FaultKind = v.link ? "link" : v.stop ? "stop" : "crash";
      json(await labFailover(name, kind, say));
      return 0;
    }
    case "drift":
      json(await labDrift(name, say));
      return 0;
    case "preview":
      json(await labPreview(name, say));
      return 0;
    case "repair":
      await labRepair(name, say);
      return 0;
    case "destroy":
      await labDestroy(name, say);
      return 0;
    case "down":
      await labDown(name, say);
      return 0;
    case "cluster-file":
      process.stdout.write(labClusterFile(name));
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

const CLUSTER_OPS: Record<string, Op> = { up: "up", preview: "preview", refresh: "refresh", destroy: "destroy" };

/** A cluster file command. People get progress on stdout; with --json it goes to stderr and stdout is JSON. */
async function cluster(cmd: string, v: Values): Promise<number> {
  if (!v.file) throw new ClusterFileError(`lvsctl ${cmd}: name the cluster file with -f cluster.yaml`);
  const o = { file: v.file, stack: v.stack, backend: v.backend };
  const human = (l: string) => (v.json ? process.stderr : process.stdout).write(`${l}\n`);
  if (cmd === "status") {
    const view = await clusterStatus(o);
    console.log(v.json ? JSON.stringify(view, null, 2) : formatClusterView(view));
    return view.directors.some((d) => d.error) || view.vips.some((x) => x.verdict !== "ok") ? 1 : 0;
  }
  const report = await clusterOp(o, CLUSTER_OPS[cmd]!, human, (s) =>
    (v.json ? process.stderr : process.stdout).write(s),
  );
  if (v.json) console.log(JSON.stringify(report, null, 2));
  else human(summaryLine(report));
  return report.op === "preview" && report.changed > 0 ? 2 : 0;
}

/** `lvsctl rollout`: events for people as they come (stderr with --json); exit 1 when it stopped. */
async function rolloutCli(v: Values): Promise<number> {
  if (!v.file) throw new ClusterFileError("lvsctl rollout: name the plan with -f sites.yaml");
  const out = v.json ? process.stderr : process.stdout;
  const report = await rolloutCommand(v.file, v.rollback ?? false, (e) => out.write(`${eventLine(e)}\n`));
  if (v.json) console.log(JSON.stringify(report, null, 2));
  else console.log(summary(report));
  return report.ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "import") return importCli(argv.slice(1));
  const { values, positionals } = options(argv);
  const [group, cmd, op] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (group && (group in CLUSTER_OPS || group === "status")) return cluster(group, values);
  if (group === "rollout") return rolloutCli(values);
  if (group === "doctor") return doctorCli(values);
  if (group !== "lab") {
    console.error(USAGE);
    return 2;
  }
  // Internal: one engine operation, run by the lab commands inside the lab's control namespace.
  if (cmd === "engine") {
    if (!ENGINE_OPS.includes(op as EngineOp)) throw new LabError(`lab engine: one of ${ENGINE_OPS.join(", ")}`);
    return engineOp(values.name!, op as EngineOp);
  }
  return lab(cmd, values);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    const plain = err instanceof LabError || err instanceof EngineFailure || err instanceof ClusterFileError;
    console.error(`lvsctl: ${plain ? err.message : (err.stack ?? err.message)}`);
    process.exit(1);
  },
);
