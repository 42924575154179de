// HealthCheck: how the agent decides that a real server is in service (keepalived's TCP_CHECK,
// HTTP_GET, SSL_GET and MISC_CHECK). Embedded by the IPVS schema (config/ipvs.ts) per virtual server
// and per real server. Pure.
//
// Every problem is reported at once: each variant is a strict object (a misspelt option is an error,
// never silently ignored), and the cross-field rules run as a superRefine with `when: always`, because
// zod otherwise skips refinements as soon as any field has failed.
import { z } from "zod";
import { isIP } from "node:net";
import { toSegment, type Problem } from "./problem.ts";
import { ipv4, shown } from "./fields.ts";

const seconds = (max: number) => z.number().min(0).max(max);
const positiveSeconds = (max: number) => z.number().positive().max(max);
const port = z.number().int().min(1).max(65535);

/** The keys a variant knows, listed in its unknown-field message. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown field${iss.keys.length > 1 ? "s" : ""} ${iss.keys.join(", ")} (known: ${known})`
        : undefined,
  });
}

/** Fields of every check: the schedule, retries within one check and the rise/fall hysteresis. */
export const common = {
  /** seconds between the starts of two checks (keepalived delay_loop); fractions allowed */
  interval: positiveSeconds(86_400).default(6),
  /** extra attempts within one check before it counts as failed (keepalived retry / nb_get_retry) */
  retries: z.number().int().min(0).max(100).default(1),
  /** seconds between those attempts (keepalived delay_before_retry) */
  delayBeforeRetry: seconds(3600).default(1),
  /** consecutive successful checks that bring a down server up */
  rise: z.number().int().min(1).max(1000).default(1),
  /** consecutive failed checks that take an up server down */
  fall: z.number().int().min(1).max(1000).default(1),
  /** the first check waits a random 0..warmup seconds, so many checks do not all fire together */
  warmup: seconds(86_400).default(0),
};

/** Fields of checks that open a connection (not of scripts, which connect to nothing themselves). */
export const connecting = {
  /** seconds for one attempt: the connect, and for http(s) the whole response (keepalived connect_timeout) */
  connectTimeout: positiveSeconds(3600).default(5),
  /** check this port instead of the real server's (keepalived connect_port) */
  port: port.optional(),
  /** source address of the check's connections (keepalived bindto) */
  bindTo: ipv4.optional(),
};

/** "200", 200 or "200-299": one status code or an inclusive range, within 100-599. */
export const StatusCode = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  if (parseStatusRange(v)) return;
  const what = typeof v === "number" ? "status code (100-599)" : "status range";
  ctx.addIssue({ code: "custom", message: `${typeof v === "string" ? shown(v) : v} is not a valid ${what}` });
});

/** A Host header value: a name or IPv4 address with an optional :port, nothing that could split a header. */
export const hostHeader = z
  .string()
  .regex(/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/, "must be a host name or address with an optional :port");
export const md5Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, "must be an MD5 digest: 32 hex digits (as printed by genhash or md5sum)");

const httpFields = {
  ...common,
  ...connecting,
  path: z
    .string()
    .regex(/^\/\S*$/, "must start with / and contain no spaces")
    .default("/"),
  /** accepted status codes and ranges (keepalived status_code) */
  statusCodes: z.array(StatusCode).min(1).default(["200-299"]),
  /** MD5 of the response body, hex (keepalived digest); absent: the body is not compared */
  digest: md5Hex.optional(),
  /** the Host header (keepalived virtualhost); default: the address and port checked */
  host: hostHeader.optional(),
  method: z.literal("GET").default("GET"),
};

export const TcpHealthCheck = strict({ type: z.literal("tcp"), ...common, ...connecting });

export const HttpHealthCheck = strict({ type: z.literal("http"), ...httpFields });

export const HttpsHealthCheck = strict({
  type: z.literal("https"),
  ...httpFields,
  /** TLS server name sent; default: the host name of `host` (none when that is an address or absent) */
  sni: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, "must be a DNS name")
    .refine((s) => isIP(s) === 0, { message: "must be a DNS name: TLS server names cannot be IP addresses (RFC 6066)" })
    .optional(),
  /** check the certificate chain and name; off by default, as in keepalived (real servers often use self-signed certificates) */
  verifyTls: z.boolean().default(false),
});

export const ScriptHealthCheck = strict({
  type: z.literal("script"),
  ...common,
  /** absolute path of an executable and its arguments, split on spaces, no shell (keepalived misc_path) */
  script: z.string().regex(/^\s*\//, "must start with the absolute path of an executable"),
  /** the unprivileged user it runs as (never root) */
  user: z
    .string()
    .min(1)
    .refine((u) => u !== "root", { message: "must not be root: check scripts run unprivileged" })
    .default("nobody"),
  /** seconds before a run is killed and counts as failed (keepalived misc_timeout); default: interval */
  timeout: positiveSeconds(3600).optional(),
  /** exit 0 up, 1 down, 2-255 up with weight = code - 2 (keepalived misc_dynamic) */
  dynamicWeight: z.boolean().default(false),
});

/** The kinds as one union on `type`, with `kinds` ('"tcp" or "http"') in its message and the cross-field rules. */
export function checkUnion<const T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(
  variants: T,
  kinds: string,
) {
  return z
    .discriminatedUnion("type", variants, {
      // An object with a bad type (the issue sits at .type), or no object at all.
      error: (iss) => (isObject(iss.input) ? `must be ${kinds}` : `must be an object with type ${kinds}`),
    })
    .superRefine(
      (value, ctx) => {
        for (const p of crossFieldProblems(value)) ctx.addIssue({ code: "custom", message: p.message, path: p.path });
      },
      { when: () => true },
    );
}

export const HealthCheck = checkUnion(
  [TcpHealthCheck, HttpHealthCheck, HttpsHealthCheck, ScriptHealthCheck],
  '"tcp", "http", "https" or "script"',
);

export type StatusCodeSpec = z.infer<typeof StatusCode>;
export type TcpHealthCheckConfig = z.infer<typeof TcpHealthCheck>;
export type HttpHealthCheckConfig = z.infer<typeof HttpHealthCheck>;
export type HttpsHealthCheckConfig = z.infer<typeof HttpsHealthCheck>;
export type ScriptHealthCheckConfig = z.infer<typeof ScriptHealthCheck>;
export type HealthCheckConfig = z.infer<typeof HealthCheck>;
export type HealthCheckInput = z.input<typeof HealthCheck>;

// ---------------------------------------------------------------------------------------------------
// Status codes: parsed here (config syntax), matched by health/http.ts.

export type StatusRange = readonly [low: number, high: number];

/** [low, high] for 200, "200" or "200-299"; undefined unless both ends are HTTP codes 100-599, low <= high. Pure. */
export function parseStatusRange(spec: unknown): StatusRange | undefined {
  const m =
    typeof spec === "number"
      ? [String(spec), String(spec)]
      : typeof spec === "string"
        ? /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(spec)?.slice(1)
        : undefined;
  if (!m) return undefined;
  const low = Number(m[0]);
  const high = Number(m[1] ?? m[0]);
  const valid = (n: number) => Number.isInteger(n) && n >= 100 && n <= 599;
  return valid(low) && valid(high) && low <= high ? [low, high] : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Cross-field rules. They see the value as far as zod got: fields that failed still hold the raw input,
// so each rule checks the types it reads and skips what the schema has already reported.

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function crossFieldProblems(value: unknown): Problem[] {
  return isObject(value) ? overlappingStatusCodes(value.statusCodes) : [];
}

/** A code covered twice is almost always a typo for a different code ("200-299", "2O4" meant 404). */
function overlappingStatusCodes(list: unknown): Problem[] {
  if (!Array.isArray(list)) return [];
  const seen: { range: StatusRange; i: number }[] = [];
  const out: Problem[] = [];
  list.forEach((spec: unknown, i) => {
    const range = parseStatusRange(spec);
    if (!range) return;
    const earlier = seen.find((s) => range[0] <= s.range[1] && s.range[0] <= range[1]);
    if (earlier)
      out.push({
        path: ["statusCodes", i],
        message: `${typeof spec === "string" ? shown(spec) : String(spec)} overlaps statusCodes[${earlier.i}]`,
      });
    seen.push({ range, i });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------

export type HealthCheckValidation = { ok: true; config: HealthCheckConfig } | { ok: false; problems: Problem[] };

/**
 * One health check on its own (tests): every problem with its path relative to the health check, for
 * problem.ts's formatProblem. Embedded in a larger config, the whole config's validator reports them.
 */
export function validateHealthCheck(input: unknown): HealthCheckValidation {
  const parsed = HealthCheck.safeParse(input);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => ({ path: i.path.map(toSegment), message: i.message })) };
}
