// VirtualServer -> per-director fragments (pure): the same service on every director.
import type { AgentConfigInput } from "../../../../agent/src/config/schema.ts";
import type { VirtualServerInputs, VirtualServerOutputs } from "./schema.ts";
import { fragmentPath, type HostFragment } from "../fragment/files.ts";

type ServiceInput = NonNullable<AgentConfigInput["virtualServers"]>[string];

export function planVirtualServer(vs: VirtualServerInputs): HostFragment[] {
  const config = virtualServerFragment(vs);
  const path = fragmentPath("vs", vs.name);
  return vs.directors.map((connection) => ({ host: connection.host, connection, path, config }));
}

/**
 * The fragment's content: the service under its name, every field but the provider's own. Check makes it
 * of raw inputs: a name that is no string (the schema says so, at name) keys it as "", never String(name),
 * which throws for an object whose toString is not a function.
 */
export function virtualServerFragment<T extends { name?: unknown; directors?: unknown }>(vs: T): AgentConfigInput {
  const { name, directors: _directors, ...service } = vs;
  return { virtualServers: { [typeof name === "string" ? name : ""]: service as ServiceInput } };
}

/** "TCP 10.0.0.100:80" or "fwmark 7": how ipvsadm and the agent's status name the service. */
export function serviceLabel(vs: Pick<VirtualServerInputs, "protocol" | "address" | "port" | "fwmark">): string {
  return vs.fwmark !== undefined ? `fwmark ${vs.fwmark}` : `${vs.protocol} ${vs.address ?? "?"}:${vs.port ?? "?"}`;
}

export function virtualServerOutputs(vs: VirtualServerInputs): VirtualServerOutputs {
  return {
    fragmentPath: fragmentPath("vs", vs.name),
    hosts: vs.directors.map((d) => d.host),
    service: serviceLabel(vs),
  };
}
