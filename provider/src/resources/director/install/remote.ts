// The install's steps on one director over its SSH session (thin shell around scripts.ts, service.ts
// and plan.ts). Each step is named in errors ("host 10.0.0.5: step 'verify files': ..."); a bundle
// that fails its checks never becomes `current`.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseManifest, type BundleManifest } from "../../../bundle/manifest.ts";
import { isArch, type Arch } from "../../../bundle/plan.ts";
import { shQuote as q } from "../../../host/commands.ts";
import type { HostSession, Remote } from "../../../host/executor.ts";
import { agentCommandLine, agentFailure, parseStatus } from "../../fragment/plan.ts";
import { archOf, UNIT_PATH, type Layout, type ServiceManager } from "./layout.ts";
import { fileProblems, summary, type Found } from "./plan.ts";
import {
  PROBE_SCRIPT,
  activateScript,
  inspectScript,
  keyValues,
  listingScript,
  parseInspect,
  parseListing,
  removeStageScript,
  stagePath,
  switchScript,
  unpackScript,
  uploadScript,
  type InstallRecord,
} from "./scripts.ts";
import { parseServiceState, serviceStateScript, startScript, waitReadyScript } from "./service.ts";
import type { AgentBundle } from "./bundle.ts";
import { progress } from "../../../operation/progress.ts";
import { claimStop, stopSignal } from "../../../operation/operation.ts";
import type { AgentAnswer } from "../state.ts";

/** A director's progress, shown on the resource being applied (operation/progress.ts). */
export const log = (host: string, what: string): void => progress(host, what);
const token = (): string => randomBytes(4).toString("hex");

/** The host's bundle arch and what `systemctl is-system-running` says there. */
export function probe(h: HostSession): Promise<{ arch: Arch; systemd: string }> {
  return h.step("probe host", async (ssh) => {
    const kv = keyValues(await ssh.check(PROBE_SCRIPT));
    const arch = archOf(kv.get("arch") ?? "");
    if (!isArch(arch)) throw new Error(arch);
    return { arch, systemd: kv.get("systemd") ?? "" };
  });
}

/** Problems of a version directory against `manifest` (its MANIFEST.json must hash to manifestSha256). */
async function checkFiles(
  ssh: Remote,
  dir: string,
  manifest: BundleManifest | undefined,
  manifestSha256: string | undefined,
): Promise<string[]> {
  return fileProblems(manifest, parseListing(await ssh.check(listingScript(dir))), manifestSha256);
}

export const serviceFile = (l: Layout, m: ServiceManager): string => (m === "systemd" ? UNIT_PATH : l.supervisor);

/** Everything an apply or a read compares: the install, its files, the fragment, the service. */
export async function inspect(h: HostSession, l: Layout, m: ServiceManager): Promise<Found> {
  const installed = await h.step("inspect install", async (ssh) => parseInspect(await ssh.check(inspectScript(l))));
  const files = !installed.current
    ? undefined
    : await h.step("verify files", async (ssh) => {
        const dir = `${l.versionsDir}/${installed.current}`;
        const text = await ssh.readFile(`${dir}/MANIFEST.json`);
        let manifest: BundleManifest | undefined;
        try {
          manifest = text === undefined ? undefined : parseManifest(text);
        } catch {
          manifest = undefined;
        }
        return checkFiles(ssh, dir, manifest, installed.record?.manifestSha256);
      });
  const fragment = await h.step("read director.json", (ssh) => ssh.readFile(l.fragment));
  const serviceText = await h.step("read service definition", (ssh) => ssh.readFile(serviceFile(l, m)));
  const service = await h.step("service status", async (ssh) =>
    parseServiceState(await ssh.check(serviceStateScript(l, m))),
  );
  return { installed, files, fragment, serviceText, service };
}

/**
 * Upload the bundle (sha256 checked on the host), unpack it beside the installed versions, verify every
 * file against the manifest, and only then publish it as versions/<name> and switch `current` to it.
 * Any failure removes the staging directory and leaves `current` as it was.
 */
export async function installBundle(h: HostSession, l: Layout, b: AgentBundle): Promise<void> {
  const stage = stagePath(l, token());
  const record: InstallRecord = {
    agentVersion: b.manifest.agentVersion,
    bundleSha256: b.sha256,
    manifestSha256: b.manifestSha256,
    installedAt: new Date().toISOString(),
  };
  try {
    const data = await readFile(b.file);
    const mib = (data.length / 1048576).toFixed(1);
    log(h.host, `uploading bundle ${b.name} (${mib} MiB)`);
    const t0 = performance.now();
    // A cancel (Ctrl-C) need not wait for the whole upload: it stops mid-stream, and the stage goes below.
    const signal = stopSignal();
    await h.step("upload bundle", async (ssh) => {
      try {
        return await ssh.check(uploadScript(l, stage, b.sha256), {
          stdin: data,
          timeout: Math.max(h.conn.commandTimeout, 600),
          signal,
        });
      } finally {
        if (signal?.aborted) claimStop();
      }
    });
    log(h.host, `uploaded ${mib} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s; unpacking and verifying`);
    await h.step("unpack bundle", (ssh) => ssh.check(unpackScript(stage)));
    await h.step("verify files", async (ssh) => {
      const problems = await checkFiles(ssh, `${stage}/root`, b.manifest, b.manifestSha256);
      if (problems.length > 0)
        throw new Error(
          `the unpacked bundle does not match its manifest (${problems.length} problems): ${summary(problems, 5)}`,
        );
    });
    await h.step("switch current", (ssh) =>
      ssh.check(activateScript(l, stage, b.name, token()), { stdin: `${JSON.stringify(record)}\n` }),
    );
  } catch (err) {
    await h.ssh.exec(removeStageScript(stage)).catch(() => undefined);
    throw err;
  }
  log(h.host, `installed ${b.name}; current -> versions/${b.name}`);
}

/** Point `current` back at an installed version (rollback). */
export function switchBack(h: HostSession, l: Layout, name: string): Promise<string> {
  return h.step(`switch current back to ${name}`, (ssh) => ssh.check(switchScript(l, name, token())));
}

/** Write a file the provider owns on the host (its directory made first). */
export function put(h: HostSession, what: string, path: string, text: string | undefined, mode: number): Promise<void> {
  return h.step(`${text === undefined ? "remove" : "write"} ${what}`, async (ssh) => {
    if (text === undefined) {
      await ssh.check(`rm -f -- ${q(path)}`);
      return;
    }
    await ssh.check(`mkdir -p -- "$(dirname -- ${q(path)})"`);
    await ssh.writeFile(path, text, mode);
  });
}

/** Start the agent, or restart it gracefully (the old one hands over first); resolves once the new one answers. */
export async function runAgent(
  h: HostSession,
  l: Layout,
  m: ServiceManager,
  restart: boolean,
  oldPid: number | undefined,
): Promise<number | undefined> {
  await h.step(restart ? "restart agent" : "start agent", (ssh) => ssh.check(startScript(l, m, restart)));
  const out = await h.step("wait for agent", async (ssh) => {
    const r = await ssh.exec(waitReadyScript(l, m, restart ? oldPid : undefined), { timeout: 60 });
    if (r.code !== 0) throw new Error(r.stderr.trim() || `exit ${r.code}`);
    return r.stdout;
  });
  const status = parseStatus(out);
  return typeof status === "string" ? undefined : status.pid;
}

const access = (l: Layout) => ({ agentCommand: l.agent, statusSocket: l.statusSocket, configDir: l.configDir });

export function reloadAgent(h: HostSession, l: Layout): Promise<void> {
  return h.step("lvs-agent reload", async (ssh) => {
    const r = await ssh.exec(agentCommandLine(access(l), "reload"));
    if (r.code !== 0) throw new Error(`lvs-agent reload: ${agentFailure(r)}`);
  });
}

/** The running agent's version, or why its status is not available. */
export function askAgent(h: HostSession, l: Layout): Promise<AgentAnswer> {
  return h.step("lvs-agent status", async (ssh) => {
    const r = await ssh.exec(agentCommandLine(access(l), "status"));
    if (r.code !== 0) return { problem: `lvs-agent status: ${agentFailure(r)}` };
    const s = parseStatus(r.stdout);
    return typeof s === "string" ? { problem: s } : { version: s.version };
  });
}
