// Where a Director's agent lives on its host (pure): the install directory with its versions side by
// side and the `current` link, the supervisor's run directory, the systemd unit, the fragment and the
// status socket. Also the small decisions made from what the host said: its arch, its service manager.
import { posix } from "node:path";
import { GlobalSettings } from "../../../../../agent/src/config/schema.ts";
import type { Arch } from "../../../bundle/plan.ts";
import type { DirectorInputs } from "../schema.ts";
import { agentCommandIn } from "../plan.ts";

export const UNIT_NAME = "lvs-agent.service";
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;
/** Inside a version directory beside MANIFEST.json: what the provider installed there (not in the manifest). */
export const INSTALL_RECORD = ".lvs-install.json";
export const SUPERVISOR = "lvs-agent-supervise";

export type ServiceManager = "systemd" | "supervised";

export interface Layout {
  installDir: string;
  versionsDir: string;
  /** symlink to versions/<name>, switched atomically */
  current: string;
  /** the agent's CLI through `current` */
  agent: string;
  /** marks installDir as the provider's: delete removes it as a whole only then */
  marker: string;
  /** the supervisor's script and its run directory (pid files, agent.log) */
  supervisor: string;
  runDir: string;
  configDir: string;
  fragment: string;
  statusSocket: string;
  /** the agent's own state directory (global.stateDir) */
  agentStateDir: string;
}

export function layoutOf(d: Pick<DirectorInputs, "installDir" | "configDir" | "global">): Layout {
  const g = GlobalSettings.parse(d.global ?? {});
  const i = d.installDir;
  return {
    installDir: i,
    versionsDir: `${i}/versions`,
    current: `${i}/current`,
    agent: agentCommandIn(i),
    marker: `${i}/.lvs-agent-install`,
    supervisor: `${i}/${SUPERVISOR}`,
    runDir: `${i}/run`,
    configDir: d.configDir,
    fragment: `${d.configDir}/director.json`,
    statusSocket: g.statusSocket,
    agentStateDir: g.stateDir,
  };
}

/** versions/<name>: the bundle's agent version and the first 8 hex digits of the tarball's sha256. */
export function versionName(agentVersion: string, sha256: string): string {
  if (!/^[0-9A-Za-z][0-9A-Za-z.+-]*$/.test(agentVersion))
    throw new Error(`the bundle's agent version ${JSON.stringify(agentVersion)} cannot name a directory`);
  return `${agentVersion}-${sha256.slice(0, 8)}`;
}

/** The version directory's name from the `current` link's target ("versions/0.1.0-1a2b3c4d" or absolute). */
export function currentName(target: string | undefined): string | undefined {
  if (!target) return undefined;
  const name = posix.basename(target);
  return /^[0-9A-Za-z][0-9A-Za-z.+-]*-[0-9a-f]{8}$/.test(name) ? name : undefined;
}

/** `uname -m` -> the bundle arch, or why there is none. */
export function archOf(machine: string): Arch | string {
  const m = machine.trim();
  if (m === "x86_64" || m === "amd64") return "x64";
  if (m === "aarch64" || m === "arm64") return "arm64";
  return `no lvs-agent bundle for machine type ${JSON.stringify(m)} (x86_64 and aarch64 are supported)`;
}

/** systemctl is-system-running states in which systemd manages services. */
const SYSTEMD_UP = new Set(["running", "degraded", "starting", "initializing", "maintenance"]);

/**
 * The service manager to use: for auto, systemd when it runs on the host (`systemctl is-system-running`
 * answers one of SYSTEMD_UP), else supervised. Asking for systemd where it does not run is an error.
 */
export function managerFor(wanted: DirectorInputs["serviceManager"], systemdState: string): ServiceManager {
  const up = SYSTEMD_UP.has(systemdState.trim());
  if (wanted === "systemd" && !up) {
    throw new Error(
      `serviceManager is systemd, but systemd does not run here (systemctl is-system-running: ${systemdState.trim() || "no answer"}); use supervised or auto`,
    );
  }
  if (wanted !== "auto") return wanted;
  return up ? "systemd" : "supervised";
}
