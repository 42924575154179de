// A ClusterSpec without its credentials (pure): each connection's privateKey and password left out, the
// rest (hosts, users, pins) kept. What a stack keeps as its last deployed spec, and what a cluster file
// writes; the file's `ssh` defaults put the credentials back when it is read again.
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";

type WithConnection = { connection?: Record<string, unknown> };

export function withoutCredentials<T extends WithConnection>(x: T): T {
  if (!x.connection) return x;
  const { privateKey: _k, password: _p, ...rest } = x.connection;
  return { ...x, connection: rest };
}

export function specWithoutCredentials(spec: ClusterSpecInput): ClusterSpecInput {
  return {
    ...spec,
    directors: spec.directors.map((d) => withoutCredentials(d as WithConnection)),
    realServers: spec.realServers?.map((r) => withoutCredentials(r as WithConnection)),
  } as ClusterSpecInput;
}
