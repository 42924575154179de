// What each director's agent reports now (thin I/O shell): `lvs-agent status --json` over SSH, with the
// cluster file's connections, all directors at once. A director that cannot be reached or whose agent
// does not answer gives its reason instead; the others still report.
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { agentAccessOf } from "../../../provider/src/resources/director/plan.ts";
import { agentCommandLine, agentFailure, parseStatus } from "../../../provider/src/resources/fragment/plan.ts";
import { SessionPool } from "../../../provider/src/host/executor.ts";
import type { DirectorReading } from "./status-view.ts";

export async function readDirectors(spec: ClusterSpec): Promise<DirectorReading[]> {
  const pool = new SessionPool();
  try {
    return await Promise.all(
      spec.directors.map(async (d): Promise<DirectorReading> => {
        const base = { name: d.name, host: d.connection.host };
        try {
          const ssh = await pool.get(d.connection);
          const r = await ssh.exec(agentCommandLine(agentAccessOf(d), "status"), { timeout: 20 });
          if (r.code !== 0) return { ...base, status: { error: `agent: ${agentFailure(r)}` } };
          const status = parseStatus(r.stdout);
          return { ...base, status: typeof status === "string" ? { error: status } : status };
        } catch (err) {
          return { ...base, status: { error: `unreachable: ${(err as Error).message}` } };
        }
      }),
    );
  } finally {
    await pool.closeAll();
  }
}
