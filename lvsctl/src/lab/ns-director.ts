// A lab director as a network namespace, where this kernel has IPVS (IPVS tables are per network
// namespace). Its sshd has tmpfs over what the provider and the agent write besides the common paths:
// the agent's install (/opt), its conf.d (/etc/lvs-agent) and its socket and state (/run), so two
// directors on one machine never share them, as the user-mode Linux guests do not. Thin I/O shell.
import { HOST_PRIVATE_PATHS, startNamespaceSshd } from "./ns-sshd.ts";
import type { LabProcess } from "./record.ts";
import type { LabHost } from "./topology.ts";

/** /opt rather than /opt/lvs-agent: the provider removes its install directory, and a mount point cannot go. */
const DIRECTOR_PRIVATE_PATHS = [...HOST_PRIVATE_PATHS, "/opt", "/etc/lvs-agent", "/run"];

export function startNamespaceDirector(h: LabHost, dir: string): LabProcess {
  return startNamespaceSshd(h, dir, DIRECTOR_PRIVATE_PATHS);
}
