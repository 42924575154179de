// lvsctl command line. Today: the local lab (`lvsctl lab up|status|failover|drift|repair|down`), a real
// LVS cluster on one machine deployed by the real Pulumi engine. Output is for people; --json for machines.
import { parseArgs } from "node:util";
import { EngineFailure } from "./lab/engine-output.ts";
import {
  formatStatus,
  labDestroy,
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

const USAGE = `usage: lvsctl lab <command> [--name NAME] [--json]
  up        build the lab's hosts (directors, real servers with nginx, a client) and deploy the
            cluster with pulumi up   [--directors N (2)] [--real-servers N (2)]
            [--director-kind auto|netns|uml]: namespaces where this kernel has IPVS, else UML guests
            [--unreachable rs2,...]: stop those real servers' sshd first, to see a deployment fail
  status    the cluster in one table
  failover  fail the master and show what the client saw   [--crash (default) | --stop | --link]
  drift     edit the hosts by hand, then show pulumi preview --refresh --diff
  preview   pulumi preview --refresh --diff: what an update would change on the hosts as they are
  repair    pulumi up --refresh: every hand edit undone
  destroy   pulumi destroy: the cluster removed, the hosts kept (lab down removes them)
  down      pulumi destroy, then remove every namespace, guest and process of the lab
  --name    the lab (default "lab"); a second lab needs its own name`;

function options(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string", default: "lab" },
      directors: { type: "string" },
      "real-servers": { type: "string" },
      unreachable: { type: "string" },
      "director-kind": { type: "string" },
      crash: { type: "boolean" },
      stop: { type: "boolean" },
      link: { type: "boolean" },
      json: { type: "boolean" },
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
    default:
      console.error(USAGE);
      return 2;
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = options(argv);
  const [group, cmd, op] = positionals;
  if (values.help || group !== "lab") {
    console.error(USAGE);
    return values.help ? 0 : 2;
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
    const plain = err instanceof LabError || err instanceof EngineFailure;
    console.error(`lvsctl: ${plain ? err.message : (err.stack ?? err.message)}`);
    process.exit(1);
  },
);
