// lvs.Director Create/Read/Update/Delete: the agent bundle installed on the host (versions side by
// side, `current` switched atomically), run by systemd or a small supervisor, with the director's own
// fragment (conf.d/director.json). One SSH connection per operation; every step named in errors; a
// failed apply puts back what it changed (the previous `current`, fragment and service, the old agent
// running again). Each change is logged to stderr (the engine's plugin log), never a secret.
import { StepError, withHosts, type HostSession } from "../../host/executor.ts";
import { DirectorInputs, type DirectorAgent } from "./schema.ts";
import { directorSpec } from "./spec.ts";
import type { Obj } from "../../inputs/common.ts";
import { directorFragment } from "./plan.ts";
import { fragmentText } from "../fragment/files.ts";
import { configLock, hostKey, inputsOf } from "../fragment/plan.ts";
import { withLocks } from "../../host/lock.ts";
import { agentBundle, type AgentBundle } from "./install/bundle.ts";
import { layoutOf, managerFor, type Layout, type ServiceManager } from "./install/layout.ts";
import { agentOutput, planApply, pruneNames, type ApplyPlan, type Found } from "./install/plan.ts";
import { directorAsFound } from "./state.ts";
import {
  askAgent,
  inspect,
  installBundle,
  log,
  probe,
  put,
  reloadAgent,
  runAgent,
  serviceFile,
  switchBack,
} from "./install/remote.ts";
import {
  inspectScript,
  otherFragmentsScript,
  parseInspect,
  pruneScript,
  removeInstallScript,
} from "./install/scripts.ts";
import { parseServiceState, serviceStateScript, stopScript, supervisorScript, systemdUnit } from "./install/service.ts";
import type { ResourceHandler } from "../contract.ts";
import { UndoJournal } from "../undo.ts";

const INPUT_KEYS = Object.keys(DirectorInputs.shape);
const MANAGERS: readonly string[] = ["systemd", "supervised"];

/** The inputs of a state (after a refresh, what Read found: any version, the agent stopped). */
const parseState = (props: Obj): DirectorInputs => DirectorInputs.parse(inputsOf(INPUT_KEYS, props));

const idOf = (d: DirectorInputs): string => `${d.connection.host}:${d.installDir}`;
const recordedManager = (props: Obj): ServiceManager | undefined => {
  const m = (props.agent as { serviceManager?: unknown } | undefined)?.serviceManager;
  return typeof m === "string" && MANAGERS.includes(m) ? (m as ServiceManager) : undefined;
};

function wantedFiles(d: DirectorInputs, l: Layout, m: ServiceManager): { fragment: string; serviceText: string } {
  return {
    fragment: fragmentText({ config: directorFragment(d) }),
    serviceText: m === "systemd" ? systemdUnit(l) : supervisorScript(l),
  };
}

/** Once files and version are back: the agent running (or not) as it was before the apply. */
async function agentAsItWas(
  h: HostSession,
  l: Layout,
  m: ServiceManager,
  plan: ApplyPlan,
  found: Found,
): Promise<void> {
  if (found.service.running && plan.agent !== "none") {
    if (plan.agent === "reload") await reloadAgent(h, l);
    else await runAgent(h, l, m, true, undefined);
  } else if (plan.agent === "start") await h.step("stop agent (rollback)", (ssh) => ssh.check(stopScript(l, m)));
}

/** What a rolled-back apply leaves, in the words of the operator's own steps. */
function restoredNote(plan: ApplyPlan, found: Found): string {
  if (found.service.running && plan.agent !== "none")
    return `rolled back: ${plan.previous ?? "the previous version"} runs again with the previous files`;
  return plan.previous && plan.install
    ? `rolled back: current -> versions/${plan.previous}`
    : "the previous files were restored";
}

async function checkedBundle(
  h: HostSession,
  d: DirectorInputs,
  arch: Parameters<typeof agentBundle>[0],
): Promise<AgentBundle> {
  const b = await h.step("prepare agent bundle", () => agentBundle(arch, d.agentBundle));
  if (d.agentVersion !== undefined && d.agentVersion !== b.manifest.agentVersion) {
    throw new StepError(
      h.host,
      "prepare agent bundle",
      `agentVersion is ${d.agentVersion} but the bundle ${b.file} has ${b.manifest.agentVersion}`,
    );
  }
  return b;
}

/** Bring the director to `d`: bundle, service definition, fragment, a running agent; only what differs. */
async function converge(
  h: HostSession,
  d: DirectorInputs,
  previousManager: ServiceManager | undefined,
): Promise<DirectorAgent> {
  const l = layoutOf(d);
  const { arch, systemd } = await probe(h);
  const m = await h.step("choose service manager", async () => managerFor(d.serviceManager, systemd));
  const bundle = await checkedBundle(h, d, arch);
  if (previousManager && previousManager !== m)
    await h.step(`stop the ${previousManager} service`, (ssh) => ssh.check(stopScript(l, previousManager)));
  const wanted = wantedFiles(d, l, m);
  const found = await inspect(h, l, m);
  const plan = planApply(bundle, found, wanted, d.running);
  if (plan.install) {
    log(h.host, `installing ${bundle.name}: ${plan.reason}`);
    await installBundle(h, l, bundle);
  }
  const journal = new UndoJournal();
  // Recorded first, so undone last: once the files and the version are back.
  journal.record("the agent as it was", () => agentAsItWas(h, l, m, plan, found));
  if (plan.install && plan.previous)
    journal.record(`current -> versions/${plan.previous}`, async () => void (await switchBack(h, l, plan.previous!)));
  const serviceMode = m === "systemd" ? 0o644 : 0o755;
  try {
    if (plan.writeService) {
      journal.record(
        "service definition",
        async () =>
          void (await put(h, "service definition (rollback)", serviceFile(l, m), found.serviceText, serviceMode)),
      );
      await put(h, "service definition", serviceFile(l, m), wanted.serviceText, serviceMode);
    }
    if (plan.writeFragment) {
      journal.record(
        "director.json",
        async () => void (await put(h, "director.json (rollback)", l.fragment, found.fragment, 0o600)),
      );
      await put(h, "director.json", l.fragment, wanted.fragment, 0o600);
    }
    if (plan.agent === "start" || plan.agent === "restart")
      await runAgent(h, l, m, plan.agent === "restart", found.service.pid);
    if (plan.agent === "reload") await reloadAgent(h, l);
    if (plan.agent === "stop") await h.step("stop agent", (ssh) => ssh.check(stopScript(l, m)));
  } catch (err) {
    const e = await journal.abort(h.host, err, restoredNote(plan, found));
    log(h.host, `apply failed at '${e.step}': ${e.detail}`);
    throw e;
  }
  const did = {
    reload: "reloaded",
    start: "started",
    restart: "restarted (the old one handed over)",
    stop: "stopped (running: false; it handed its VIPs over)",
  } as const;
  if (plan.agent !== "none") log(h.host, `agent ${did[plan.agent]} (${m})`);
  const installed = await h.step("inspect install", async (ssh) => parseInspect(await ssh.check(inspectScript(l))));
  const stale = pruneNames(installed.versions, [bundle.name, plan.previous]);
  if (stale.length > 0) await h.step("prune old versions", (ssh) => ssh.check(pruneScript(l, stale)));
  const service = await h.step("service status", async (ssh) =>
    parseServiceState(await ssh.check(serviceStateScript(l, m))),
  );
  return agentOutput({ installed, installDir: l.installDir, manager: m, service });
}

async function apply(d: DirectorInputs, previousManager?: ServiceManager): Promise<Obj> {
  // Under the config lock Vip and VirtualServer operations take (fragment.ts): director.json and the
  // reload that judges it do not interleave with theirs.
  const agent = await withHosts([d.connection], ([h]) =>
    withLocks(
      [h!],
      [configLock(layoutOf(d))],
      (s) => hostKey(s.conn),
      () => converge(h!, d, previousManager),
    ),
  );
  return { ...d, ...directorSpec.computed(d), agent, drift: [] };
}

/** The service manager of a state: as recorded, as declared, or as the host says. */
async function managerOf(h: HostSession, d: DirectorInputs, props: Obj): Promise<ServiceManager> {
  const recorded = recordedManager(props);
  if (recorded) return recorded;
  if (d.serviceManager !== "auto") return d.serviceManager;
  return managerFor("auto", (await probe(h)).systemd);
}

async function readHost(
  h: HostSession,
  d: DirectorInputs,
  props: Obj,
  declared: Obj,
  importing: boolean,
): Promise<{ props: Obj; inputs: Obj } | undefined> {
  const l = layoutOf(d);
  const m = await managerOf(h, d, props);
  const found = await inspect(h, l, m);
  if (!found.installed.current && !found.installed.marker) return undefined;
  const answer = found.service.running ? await askAgent(h, l) : {};
  const wanted = wantedFiles(d, l, m);
  const agent = agentOutput({
    installed: found.installed,
    installDir: l.installDir,
    manager: m,
    service: found.service,
  });
  const { inputs, drift } = directorAsFound(
    inputsOf(INPUT_KEYS, declared),
    found,
    wanted.serviceText,
    answer,
    importing,
  );
  return { inputs, props: { ...props, ...inputs, ...(importing && directorSpec.computed(d)), agent, drift } };
}

export const directorHandler: ResourceHandler = {
  async create(inputs) {
    const d = DirectorInputs.parse(inputs);
    return { id: idOf(d), outs: await apply(d) };
  },

  async read(id, props, declared, importing) {
    const state = { ...props, ...declared };
    const d = parseState(state);
    const found = await withHosts([d.connection], ([h]) => readHost(h!, d, props, state, importing));
    if (!found && importing)
      throw new Error(
        `no agent is installed in ${d.installDir} on ${d.connection.host} (no ${d.installDir}/current, no install marker)`,
      );
    return found ? { id, ...found } : { id: "", props: {}, inputs: {} };
  },

  async update(_id, olds, news) {
    return apply(DirectorInputs.parse(news), recordedManager(olds));
  },

  async delete(_id, props) {
    const d = parseState(props);
    const l = layoutOf(d);
    await withHosts([d.connection], async ([h]) => {
      await h!.step("stop agent", (ssh) => ssh.check(stopScript(l, recordedManager(props))));
      log(d.connection.host, "agent stopped (it handed its VIPs over)");
      await put(h!, "director.json", l.fragment, undefined, 0o600);
      await h!.step("remove install", (ssh) => ssh.check(removeInstallScript(l)));
      const others = (await h!.step("list other fragments", (ssh) => ssh.check(otherFragmentsScript(l))))
        .split("\n")
        .filter((s) => s !== "");
      log(
        d.connection.host,
        `removed ${l.installDir}${others.length > 0 ? `; left ${others.length} fragment(s) of other resources in ${l.configDir}: ${others.join(", ")}` : ""}`,
      );
    });
  },
};
