// The `connection` input of every resource that touches a host: how to reach it over SSH.
// Cross-field rules run even when single fields are wrong, so every problem is reported at once, each
// naming its field. Secret values (privateKey, password) never appear in a message.
import { z } from "zod";
import { isValidPin } from "./hostkey.ts";

const seconds = (def: number) => z.number().positive().max(86_400).default(def);

const endpointShape = {
  /** address or name of the host */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(22),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_.-]*\$?$/i, "must be a user name")
    .default("root"),
  /** OpenSSH or PEM private key text (secret) */
  privateKey: z.string().min(1).optional(),
  /** secret */
  password: z.string().min(1).optional(),
  /**
   * pin: "SHA256:..." fingerprint or an OpenSSH public key line ("ssh-ed25519 AAAA..."). A key line
   * also makes the server present that key type; a fingerprint must be of the key the server presents
   * by default (ed25519 when it has one).
   */
  hostKey: z.string().refine(isValidPin, "must be a SHA256:... fingerprint or an OpenSSH public key line").optional(),
  /** skip host key pinning; must be exactly true to take effect */
  insecureIgnoreHostKey: z.boolean().optional(),
  /** run privileged commands through `sudo -n` (a non-root user with passwordless sudo) */
  sudo: z.boolean().default(false),
  /** seconds to establish the SSH session (TCP, handshake, authentication) */
  connectTimeout: seconds(10),
  /** seconds one remote command may run */
  commandTimeout: seconds(120),
};

interface CrossFields {
  privateKey?: unknown;
  password?: unknown;
  hostKey?: unknown;
  insecureIgnoreHostKey?: unknown;
}

/** Problems between fields, as [field, message] pairs. */
export function crossFieldProblems(c: CrossFields): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (c.privateKey === undefined && c.password === undefined) {
    out.push(["privateKey", "a privateKey or a password is required"]);
  }
  if (c.hostKey === undefined && c.insecureIgnoreHostKey !== true) {
    out.push(["hostKey", "hostKey is required (pin the host's key), unless insecureIgnoreHostKey is true"]);
  }
  if (c.hostKey !== undefined && c.insecureIgnoreHostKey === true) {
    out.push(["insecureIgnoreHostKey", "cannot be true together with a hostKey pin"]);
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function withCrossFieldRules<T extends z.ZodType>(schema: T): T {
  return schema.superRefine(
    (value, ctx) => {
      if (!isObject(value)) return;
      for (const [field, message] of crossFieldProblems(value))
        ctx.addIssue({ code: "custom", path: [field], message });
    },
    { when: (payload) => isObject(payload.value) },
  ) as unknown as T;
}

/** A hop on the way: everything a Connection has but a jump host of its own. */
export const JumpHost = withCrossFieldRules(z.strictObject(endpointShape));

export const Connection = withCrossFieldRules(
  z.strictObject({
    ...endpointShape,
    /** reach the host through this SSH server (forwarded TCP); one hop only */
    jumpHost: JumpHost.optional(),
  }),
);

export type Connection = z.infer<typeof Connection>;
export type ConnectionInput = z.input<typeof Connection>;
export type JumpHost = z.infer<typeof JumpHost>;
/** One SSH server to log in to: a Connection without its jump, or the jump itself. */
export type Endpoint = JumpHost;

export type ParsedConnection = { ok: true; value: Connection } | { ok: false; problems: string[] };

/** Validate a connection input; problems read "connection.<field>: <message>", all of them at once. */
export function parseConnection(input: unknown, path = "connection"): ParsedConnection {
  const r = Connection.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => `${[path, ...i.path.map(String)].join(".")}: ${issueMessage(i)}`),
  };
}

function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === "unrecognized_keys") {
    return i.keys.includes("jumpHost") && i.path.at(-1) === "jumpHost"
      ? "a jump host cannot have its own jumpHost"
      : `unknown field(s) ${i.keys.map((k) => `'${k}'`).join(", ")}`;
  }
  return i.message;
}

/** "10.0.0.5:22": how messages name a host. */
export function hostLabel(c: { host: string; port: number }): string {
  return c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
}
