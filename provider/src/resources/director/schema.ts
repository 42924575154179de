// lvs.Director: a host that runs lvs-agent. The provider installs the agent bundle there (its own Node
// runtime; install/), runs it as a service, and owns its fragment (conf.d/director.json) with
// the agent's global settings and the director sysctls; VIPs and virtual servers bring their own fragments.
import { z } from "zod";
import { AgentConfig, GlobalSettings } from "../../../../agent/src/config/schema.ts";
import { CONF_D, Connection, deepStrict } from "../../inputs/common.ts";
import { shown } from "../../../../agent/src/config/fields.ts";

/** Paths the provider puts into shell commands and a systemd unit: absolute, plain characters, no "..". */
const hostPath = z.string().superRefine((p, ctx) => {
  const message = !/^(\/[A-Za-z0-9_.@+-]+)+$/.test(p)
    ? `${shown(p)} must be an absolute path of letters, digits and _ . @ + - (no spaces, no trailing /), such as /opt/lvs-agent`
    : p.split("/").some((s) => s === "." || s === "..")
      ? `${shown(p)} must not contain . or .. segments: give the path itself`
      : undefined;
  if (message) ctx.addIssue({ code: "custom", message });
});

export const SERVICE_MANAGERS = ["systemd", "supervised", "auto"] as const;

export const DirectorInputs = z.strictObject({
  connection: Connection,
  /** the agent's global settings (status socket, metrics listener, reconcile interval, ...) */
  global: deepStrict(GlobalSettings).optional(),
  /** director sysctls from the agent's table (e.g. net.ipv4.vs.expire_nodest_conn: 1) */
  sysctls: AgentConfig.shape.sysctls,
  /** where the agent is installed: versions/<version>-<sha8>/ side by side, `current` the one that runs; owned (removed on delete) */
  installDir: hostPath.default("/opt/lvs-agent"),
  /** the agent's conf.d: this resource writes director.json there; other resources their own fragments */
  configDir: hostPath.default(CONF_D),
  /** systemd (a hardened unit), supervised (a restarting sh supervisor, for hosts without systemd), or auto */
  serviceManager: z.enum(SERVICE_MANAGERS).default("auto"),
  /** an agent bundle (.tar.gz from `npm run bundle`) on the machine running the provider; default: built or reused for the host's arch */
  agentBundle: z.string().min(1).optional(),
  /**
   * the agent version the bundle must have; Read reports the version running there. Defaults to this
   * provider's agent when no agentBundle is given
   */
  agentVersion: z
    .string()
    .regex(/^[0-9A-Za-z][0-9A-Za-z.+-]*$/, "must be a version such as 0.1.0")
    .optional(),
  /** keep the agent running; false installs it and leaves it stopped (a director taken out for maintenance hands its VIPs over) */
  running: z.boolean().default(true),
});

/** The installed agent as the last apply or read found it. */
export const DirectorAgent = z.object({
  version: z.string(),
  /** sha256 of the bundle tarball installed */
  bundleSha256: z.string(),
  /** the version directory `current` points to */
  installPath: z.string(),
  /** systemd or supervised */
  serviceManager: z.string(),
  running: z.boolean(),
  pid: z.number().optional(),
});

export const DirectorOutputs = z.object({
  host: z.string(),
  /** the director's base fragment */
  fragmentPath: z.string(),
  /** the installed agent's CLI and status socket: give them (with configDir) to Vip and VirtualServer
   * members of this director when installDir or global.statusSocket are not the defaults */
  agentCommand: z.string(),
  statusSocket: z.string(),
  /** the installed agent (absent in previews) */
  agent: DirectorAgent.optional(),
  /** what differs on the host that no input shows (install files, the service definition); the next update repairs it */
  drift: z.array(z.string()).optional(),
});

export type DirectorInputs = z.infer<typeof DirectorInputs>;
export type DirectorOutputs = z.infer<typeof DirectorOutputs>;
export type DirectorAgent = z.infer<typeof DirectorAgent>;
export type DirectorArgs = z.input<typeof DirectorInputs>;
