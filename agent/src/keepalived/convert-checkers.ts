// keepalived's checkers (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, SMTP_CHECK, DNS_CHECK) and the checker
// options a virtual or real server gives them all, as keyword tables onto a health check draft. Pure.
import type { Token } from "./lexer.ts";
import { block, flag, noted, num, put, str, value, type Draft, type Entry, type Table } from "./cx.ts";

export type HealthCheckKind = "tcp" | "http" | "https" | "script" | "smtp" | "dns";
export type UrlInput = { path?: string; statusCodes?: string[]; digest?: string; host?: string; regex?: string };
export type SmtpHostInput = { address?: string; port?: number; bindTo?: string };

/** Every field a check can have; which of them a kind takes is FIELDS[kind]. */
export interface HealthCheckFields {
  interval: number;
  retries: number;
  delayBeforeRetry: number;
  warmup: number;
  connectTimeout: number;
  port: number;
  bindTo: string;
  host: string;
  path: string;
  statusCodes: string[];
  digest: string;
  script: string;
  timeout: number;
  dynamicWeight: boolean;
  user: string;
  urls: UrlInput[];
  helo: string;
  hosts: SmtpHostInput[];
  queryType: string;
  name: string;
  address: string;
  regex: string;
}

const TIMING = ["interval", "retries", "delayBeforeRetry", "warmup"] as const;
const CONNECT = [...TIMING, "connectTimeout", "port", "bindTo", "address"] as const;
const HTTP = [...CONNECT, "host", "path", "statusCodes", "digest", "regex", "urls"] as const;
export const FIELDS: Record<HealthCheckKind, readonly (keyof HealthCheckFields)[]> = {
  tcp: CONNECT,
  http: HTTP,
  https: HTTP,
  script: [...TIMING, "script", "timeout", "dynamicWeight", "user"],
  smtp: [...CONNECT, "helo", "hosts"],
  dns: [...CONNECT, "queryType", "name"],
};

export interface HealthCheckDraft extends Draft<HealthCheckFields> {
  kind: HealthCheckKind;
  at: Token;
}

// --- options a virtual server, a real server and a checker share ----------------------------------

const NB_GET_RETRY =
  "is keepalived 1.x's name for retry: keepalived 2.x no longer knows it and ignores it (checking with retry 1); lvs-agent applies it as retry";

/** Checker options on their own draft (the checker's, or the layer of a real or virtual server). */
export function timing(): Table<Draft<HealthCheckFields>> {
  return {
    delay_loop: num("interval"),
    retry: num("retries", { int: true }),
    nb_get_retry: value((st, d, cx) => {
      cx.note(st.keyword, `'nb_get_retry' ${NB_GET_RETRY}`);
      num<HealthCheckFields>("retries", { int: true }).run(st, d, cx);
    }),
    delay_before_retry: num("delayBeforeRetry"),
    warmup: num("warmup"),
  };
}

export function connecting(): Table<Draft<HealthCheckFields>> {
  return {
    ...timing(),
    connect_timeout: num("connectTimeout"),
    connect_port: num("port", { int: true }),
    bindto: str("bindTo"),
  };
}

/** The same table applied to the `layer` of a virtual or real server. */
export function onLayer<D extends { layer: Draft<HealthCheckFields> }>(
  table: Table<Draft<HealthCheckFields>>,
): Table<D> {
  return Object.fromEntries(
    Object.entries(table).map(([k, e]) => [
      k,
      { kind: e.kind, run: (st, d, cx) => e.run(st, d.layer, cx) } satisfies Entry<D>,
    ]),
  );
}

export const LAYER = { ...connecting(), virtualhost: str<HealthCheckFields>("host") };

// --- checkers ----------------------------------------------------------------------------------------

/** A checker's own connection options: connect_ip too (the address checked instead of the real server's). */
function checkerConnecting(): Table<Draft<HealthCheckFields>> {
  return { ...connecting(), connect_ip: str("address") };
}

const TCP_CHECK: Table<HealthCheckDraft> = checkerConnecting();

const EMAIL_CHECKER = noted<HealthCheckDraft>(
  "configures keepalived's email alerts, which lvs-agent does not send (use the metrics); ignored",
);

const HTTP_GET: Table<HealthCheckDraft> = {
  ...checkerConnecting(),
  virtualhost: str("host"),
  smtp_alert: EMAIL_CHECKER,
  enable_sni: noted(
    "is what lvs-agent does anyway: an SSL_GET sends its virtualhost (a name, not an address) as the TLS server name",
  ),
  url: block((st, d, cx) => {
    // The first url fills the check's own path, codes and digest; each further one goes to `urls`.
    if (!Object.hasOwn(d.v, "path")) {
      d.v.path = "/";
      return cx.walk(st.block ?? [], URL, d, "url");
    }
    const i = d.v.urls?.length ?? 0;
    const u: Draft<HealthCheckFields> = { path: [...d.path, "urls", i], v: { path: "/" } };
    cx.locate(u.path, st.keyword, "url");
    cx.walk(st.block ?? [], URL, u, "url");
    d.v.urls = [...(d.v.urls ?? []), u.v as UrlInput];
    if (i === 0) cx.locate([...d.path, "urls"], st.keyword, "url");
  }),
};

const URL: Table<Draft<HealthCheckFields>> = {
  path: str("path"),
  digest: str("digest"),
  regex: str("regex"),
  regex_stack: noted(
    "sizes PCRE2's JIT stack in keepalived; lvs-agent matches with JavaScript's regular expressions, which have no such stack to size; ignored",
  ),
  virtualhost: str("host"),
  status_code: value((st, d, cx) =>
    put(
      d,
      "statusCodes",
      cx.args(st, 1, Infinity)?.map((t) => t.text),
      st,
      cx,
    ),
  ),
};

/** SMTP_CHECK's `host { connect_ip connect_port bindto }`: one more server that must answer. */
const SMTP_HOST: Table<Draft<SmtpHostInput>> = {
  connect_ip: str("address"),
  connect_port: num("port", { int: true }),
  bindto: str("bindTo"),
};

const SMTP_CHECK: Table<HealthCheckDraft> = {
  ...checkerConnecting(),
  helo_name: str("helo"),
  smtp_alert: EMAIL_CHECKER,
  host: block((st, d, cx) => {
    const i = d.v.hosts?.length ?? 0;
    const h: Draft<SmtpHostInput> = { path: [...d.path, "hosts", i], v: {} };
    cx.locate(h.path, st.keyword, "host");
    cx.walk(st.block ?? [], SMTP_HOST, h, "host");
    d.v.hosts = [...(d.v.hosts ?? []), h.v];
    if (i === 0) cx.locate([...d.path, "hosts"], st.keyword, "host");
  }),
};

const DNS_CHECK: Table<HealthCheckDraft> = {
  ...checkerConnecting(),
  type: value((st, d, cx) =>
    put(d, "queryType", cx.choice(st, ["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"]), st, cx),
  ),
  name: str("name"),
  smtp_alert: EMAIL_CHECKER,
};

const MISC_CHECK: Table<HealthCheckDraft> = {
  ...timing(),
  smtp_alert: EMAIL_CHECKER,
  misc_path: value((st, d, cx) => put(d, "script", cx.command(st), st, cx)),
  misc_timeout: num("timeout"),
  misc_dynamic: flag("dynamicWeight"),
  user: value((st, d, cx) => {
    const a = cx.args(st, 1, 2);
    if (a?.[1])
      cx.note(a[1], `user: the group '${a[1].text}' is not applied: the script runs with the user's own group`);
    put(d, "user", a?.[0]!.text, st, cx);
  }),
};

export const CHECKERS: Record<string, { kind: HealthCheckKind; table: Table<HealthCheckDraft> }> = {
  TCP_CHECK: { kind: "tcp", table: TCP_CHECK },
  HTTP_GET: { kind: "http", table: HTTP_GET },
  SSL_GET: { kind: "https", table: HTTP_GET },
  MISC_CHECK: { kind: "script", table: MISC_CHECK },
  SMTP_CHECK: { kind: "smtp", table: SMTP_CHECK },
  DNS_CHECK: { kind: "dns", table: DNS_CHECK },
};
