// A ClusterSpec written as a cluster file (pure): credentials and pins move out of each connection into
// the `ssh` section (the key as a file, each host's pin under hostKeys), so the file holds no secret and
// reads as people write it. file-spec.ts reads it back to the same spec.
import { stringify } from "yaml";
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";
import { specWithoutCredentials } from "./credentials.ts";

type Conn = { host: string; hostKey?: string; user?: string; [k: string]: unknown };

export function renderClusterFile(full: ClusterSpecInput, ssh: { privateKeyFile: string; user?: string }): string {
  const spec = specWithoutCredentials(full);
  const hostKeys: Record<string, string> = {};
  const slim = <T extends { connection?: Conn }>(x: T): T => {
    if (!x.connection) return x;
    const { hostKey, user, ...rest } = x.connection;
    if (hostKey) hostKeys[rest.host] = hostKey;
    return { ...x, connection: { ...rest, ...(user && user !== ssh.user ? { user } : {}) } };
  };
  const body = {
    directors: spec.directors.map((d) => slim(d as { connection: Conn })),
    vips: spec.vips,
    realServers: spec.realServers?.map((r) => slim(r as { connection?: Conn })),
    virtualServers: spec.virtualServers,
  };
  const file = { ssh: { ...ssh, hostKeys }, ...body };
  return stringify(file, { lineWidth: 0 });
}
