// The health checks the agent runs: the provider's kinds (health-checks.ts: tcp, http, https, script) and
// those only the agent's own config offers so far (keepalived.conf import): smtp (SMTP_CHECK), dns
// (DNS_CHECK), and http/https with several urls. The provider's schema keeps the public kinds, so its
// Pulumi schema does not change; the agent validates everything against this superset. Pure.
import { z } from "zod";
import {
  common,
  connecting,
  checkUnion,
  hostHeader,
  HttpHealthCheck,
  HttpsHealthCheck,
  md5Hex,
  ScriptHealthCheck,
  StatusCode,
  strict,
  TcpHealthCheck,
} from "./health-checks.ts";
import { ipv4 } from "./fields.ts";

const port = z.number().int().min(1).max(65535);

/** A JavaScript regular expression (keepalived's are PCRE2: the common syntax is the same). */
const regex = z.string().superRefine((s, ctx) => {
  try {
    new RegExp(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${(err as Error).message}` });
  }
});

/** What only the agent's checks offer beside the provider's fields (keepalived options). */
const agentOnly = {
  /** check this address instead of the real server's (keepalived connect_ip) */
  address: ipv4.optional(),
};

const bodyRegex = {
  /** the response body must match this (keepalived url `regex`) */
  regex: regex.optional(),
};

/** One more url of an http(s) check (keepalived: a further `url { }` block); every url must pass. */
export const UrlCheck = strict({
  path: z.string().regex(/^\/\S*$/, "must start with / and contain no spaces"),
  ...bodyRegex,
  /** default: the check's statusCodes */
  statusCodes: z.array(StatusCode).min(1).optional(),
  digest: md5Hex.optional(),
  /** default: the check's host */
  host: hostHeader.optional(),
});

const moreUrls = {
  /** urls checked after `path`, each with its own status codes and digest (keepalived: several url blocks) */
  urls: z.array(UrlCheck).optional(),
  ...bodyRegex,
  ...agentOnly,
};

/** Another server an smtp check must also find answering (keepalived SMTP_CHECK `host { }`). */
export const SmtpHost = strict({
  /** default: the real server */
  address: ipv4.optional(),
  /** default: the check's port, else 25 */
  port: port.optional(),
  bindTo: ipv4.optional(),
});

export const SmtpHealthCheck = strict({
  type: z.literal("smtp"),
  ...common,
  ...connecting,
  ...agentOnly,
  /** the name sent in HELO (keepalived helo_name) */
  helo: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, "must be a host name")
    .default("localhost"),
  /** further servers that must all answer too; the real server itself is checked unless `hosts` is given */
  hosts: z.array(SmtpHost).default([]),
});

export const DNS_TYPES = ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"] as const;

export const DnsHealthCheck = strict({
  type: z.literal("dns"),
  ...common,
  ...connecting,
  ...agentOnly,
  /** the record type asked for (keepalived DNS_CHECK type, default SOA) */
  queryType: z.enum(DNS_TYPES).default("SOA"),
  /** the name asked about (keepalived DNS_CHECK name, default the root ".") */
  name: z
    .string()
    .regex(/^(\.|([A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?)$/, "must be a DNS name")
    .default("."),
});

export const AgentHealthCheck = checkUnion(
  [
    TcpHealthCheck.extend(agentOnly),
    HttpHealthCheck.extend(moreUrls),
    HttpsHealthCheck.extend(moreUrls),
    ScriptHealthCheck,
    SmtpHealthCheck,
    DnsHealthCheck,
  ],
  '"tcp", "http", "https", "script", "smtp" or "dns"',
);

export type AgentHealthCheckConfig = z.infer<typeof AgentHealthCheck>;
export type SmtpHealthCheckConfig = z.infer<typeof SmtpHealthCheck>;
export type DnsHealthCheckConfig = z.infer<typeof DnsHealthCheck>;
export type UrlCheckConfig = z.infer<typeof UrlCheck>;
