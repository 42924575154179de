// `lvs-agent run --keepalived-conf FILE` inside a corpus test namespace: up when it logs that it runs
// (event agent.start); then ended by its PID with SIGTERM (SIGKILL if it lingers) and waited for.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AGENT_TSX, REPO } from "../helpers/agent.ts";
import { Watched } from "../helpers/procs.ts";

const UP_MS = 20_000;

export async function startAgentIn(
  ns: string,
  file: string,
  dir: string,
  configId: string,
): Promise<{ ok: boolean; detail: string }> {
  mkdirSync(dir, { recursive: true });
  const args = [
    ...["netns", "exec", ns, process.execPath, ...AGENT_TSX, "run", "--keepalived-conf", file],
    ...["--config-id", configId, "--socket", join(dir, "agent.sock"), "--state-dir", dir, "--metrics-listen", ""],
  ];
  const child = spawn("ip", args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const w = new Watched(child);
  const exited = new Promise<string>((resolve) => child.once("exit", (code, sig) => resolve(`exited ${code ?? sig}`)));
  try {
    const up = await Promise.race([
      w.waitLine((l) => l.text.includes('"event":"agent.start"'), UP_MS, `${ns} agent up`).then(() => "up"),
      exited,
    ]);
    const tail = w.lines
      .slice(-3)
      .map((l) => l.text)
      .join(" | ");
    return up === "up" ? { ok: true, detail: "up" } : { ok: false, detail: `${up}: ${tail}` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, "SIGTERM");
      const t = setTimeout(() => child.pid && process.kill(child.pid, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
  }
}
