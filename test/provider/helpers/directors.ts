// Two directors for the provider's fragment resources (Vip, VirtualServer): lab hosts `d1` and `d2`,
// each running Debian's sshd and a real lvs-agent (the esbuild bundle, built first), and the real
// plugin in the lab host `control`, called over gRPC. Each agent has its own conf.d, status socket and
// state directory under /tmp (the lab hosts share one filesystem); the resources are pointed at them
// through their directors' configDir, agentCommand and statusSocket. Everything is stopped by PID and
// removed by destroy(), the agents' directories included.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { REPO, startAgent, stateDir, type Peer } from "../../helpers/agent.ts";
import { Lab, waitFor, type Host } from "../../helpers/netns.ts";
import { startSshd, type Sshd } from "../../helpers/sshd.ts";
import { randomSubnet } from "../../net/fixtures/client.ts";
import type pb from "@pulumi/pulumi/proto/provider_pb.js";
import { Plugin, secret } from "./plugin.ts";

type Obj = Record<string, unknown>;

export const BUNDLE = join(REPO, "dist/lvs-agent.mjs");
/** The agent's CLI as the directors run it: node and the bundle (an absolute path, then an argument). */
export const AGENT_COMMAND = `${process.execPath} ${BUNDLE}`;

export interface Director {
  host: Host;
  sshd: Sshd;
  agent: Peer;
  confDir: string;
  socket: string;
}

export interface DirectorLab {
  lab: Lab;
  net: string;
  plugin: Plugin;
  d1: Director;
  d2: Director;
  destroy(): Promise<void>;
}

/** scripts/build.mjs: the agent bundle, as current as the sources. */
export function buildAgentBundle(): void {
  const res = spawnSync(process.execPath, [join(REPO, "scripts/build.mjs")], { cwd: REPO, encoding: "utf8" });
  if (res.status !== 0) throw new Error(`agent build failed: ${res.stderr || res.stdout}`);
}

async function startDirector(host: Host): Promise<Director> {
  const dir = stateDir(host, "agent");
  const sshd = await startSshd(host);
  const agent = startAgent(host, { global: { stateDir: dir } }, [], [BUNDLE]);
  await agent.waitLine((l) => l.text.includes('"event":"agent.start"'), 15_000, `${host.name} agent started`);
  return { host, sshd, agent, confDir: join(dir, "conf.d"), socket: join(dir, "agent.sock") };
}

export async function startDirectorLab(): Promise<DirectorLab> {
  buildAgentBundle();
  const net = randomSubnet();
  const lab = Lab.create([
    { name: "control", addr: `${net}.2/24` },
    { name: "d1", addr: `${net}.11/24` },
    { name: "d2", addr: `${net}.12/24` },
  ]);
  const started: Director[] = [];
  let plugin: Plugin | undefined;
  const destroy = async () => {
    await plugin?.stop();
    await Promise.all(started.map((d) => d.sshd.stop()));
    for (const d of started) d.agent.signal("SIGTERM");
    await Promise.all(started.map((d) => d.agent.exited(10_000).catch(() => d.agent.signal("SIGKILL"))));
    lab.destroy();
    rmSync(join("/tmp", lab.id), { recursive: true, force: true }); // the agents' conf.d, sockets and state
  };
  try {
    started.push(...(await Promise.all([startDirector(lab.host("d1")), startDirector(lab.host("d2"))])));
    plugin = await Plugin.start(120_000, { host: lab.host("control") });
    return { lab, net, plugin, d1: started[0]!, d2: started[1]!, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** A director's connection as a resource carries it (the key secret, as the engine sends it). */
export const connectionOf = (d: Director): Obj => ({
  host: d.sshd.address,
  port: d.sshd.port,
  privateKey: secret(d.sshd.clientKey.privateKey),
  hostKey: d.sshd.hostKeyFingerprint,
});

/** Where the resource finds this director's agent. */
export const agentOf = (d: Director): Obj => ({
  configDir: d.confDir,
  agentCommand: AGENT_COMMAND,
  statusSocket: d.socket,
});

/** How many reloads the agent has logged (applied or rejected). */
export const reloads = (d: Director): number =>
  d.agent.lines.filter((l) => l.text.includes('"event":"agent.reload"')).length;

/**
 * `lvs-agent reload` by hand, returning once the agent's log shows it: its log is read from a pipe, so a
 * count of reloads taken right after the CLI returns could miss this one and see it later.
 */
export async function reloadByHand(d: Director): Promise<void> {
  const before = reloads(d);
  assert.equal(agentCli(d, "reload").code, 0, "lvs-agent reload");
  await waitFor(() => reloads(d) > before, 10_000, "the agent's log shows the reload");
}

export const fragment = (d: Director, file: string): string | undefined => {
  try {
    return readFileSync(join(d.confDir, file), "utf8");
  } catch {
    return undefined;
  }
};

export const modeOf = (d: Director, file: string): number => statSync(join(d.confDir, file)).mode & 0o777;

/** The agent's CLI in the director's namespace, as an operator would run it there. */
export function agentCli(d: Director, ...args: string[]): { code: number; out: string } {
  const res = spawnSync("ip", ["netns", "exec", d.host.ns, process.execPath, BUNDLE, ...args, "--socket", d.socket], {
    encoding: "utf8",
  });
  return { code: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

/** One resource of the plugin, driven as the engine drives it, with the answers unpacked. */
export class ResourceClient {
  constructor(
    private readonly plugin: Plugin,
    readonly type: string,
    readonly name: string,
  ) {}

  /** Checked inputs; fails on any check failure. */
  async check(inputs: Obj): Promise<Obj> {
    const r = await this.plugin.check(this.type, this.name, inputs);
    if (r.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(r.failures)}`);
    return r.inputs;
  }

  /** timeoutS: the resource's customTimeouts create, as the engine sends it */
  async create(news: Obj, timeoutS?: number): Promise<{ id: string; outs: Obj }> {
    const res = (await this.plugin.create(this.type, this.name, news, timeoutS)) as pb.CreateResponse;
    return { id: res.getId(), outs: res.getProperties()!.toJavaScript() as Obj };
  }

  /** inputs: the state's inputs, as the engine sends them (absent on import) */
  async read(id: string, props: Obj, inputs?: Obj): Promise<{ id: string; props: Obj; inputs: Obj }> {
    const res = (await this.plugin.read(this.type, this.name, props, id, inputs)) as pb.ReadResponse;
    return {
      id: res.getId(),
      props: (res.getProperties()?.toJavaScript() ?? {}) as Obj,
      inputs: (res.getInputs()?.toJavaScript() ?? {}) as Obj,
    };
  }

  async update(id: string, olds: Obj, news: Obj): Promise<Obj> {
    const res = (await this.plugin.update(this.type, this.name, olds, news, id)) as pb.UpdateResponse;
    return res.getProperties()!.toJavaScript() as Obj;
  }

  async delete(id: string, props: Obj): Promise<void> {
    await this.plugin.delete(this.type, this.name, props, id);
  }

  /** olds: the last state; oldInputs: its inputs (after a refresh, Read's) */
  diff(olds: Obj, news: Obj, oldInputs?: Obj): ReturnType<Plugin["diff"]> {
    return this.plugin.diff(this.type, this.name, olds, news, oldInputs);
  }

  /** The message of a call that must fail. */
  async failure(call: Promise<unknown>): Promise<string> {
    try {
      await call;
    } catch (err) {
      return (err as { details?: string }).details ?? (err as Error).message;
    }
    throw new Error("expected the call to fail");
  }
}
