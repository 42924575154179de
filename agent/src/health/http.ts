// HTTP_GET and SSL_GET: one GET on a fresh connection; up when the status is accepted and, if a digest
// is configured, the body's MD5 matches (keepalived genhash style). Pure helpers first, then the request.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { parseStatusRange, type StatusCodeSpec, type StatusRange } from "../config/health-checks.ts";
import { errorDetail, type Attempt, type Endpoint } from "./core.ts";

/** A predicate over status codes from the configured codes and ranges (validated by the schema). Pure. */
export function statusMatcher(specs: readonly StatusCodeSpec[]): (code: number) => boolean {
  const ranges = specs.map(parseStatusRange).filter((r): r is StatusRange => r !== undefined);
  return (code) => ranges.some(([low, high]) => code >= low && code <= high);
}

/**
 * The TLS server name to send: `sni`, else the name part of the Host header; none ("") when that is an
 * address, since SNI carries only DNS names (RFC 6066) and an IP there makes some servers reset. Pure.
 */
export function serverName(host: string | undefined, sni: string | undefined): string {
  if (sni) return sni;
  const name = host?.replace(/:\d+$/, "") ?? "";
  return isIP(name) === 0 ? name : "";
}

export interface HttpProbe extends Endpoint {
  tls: boolean;
  path: string;
  /** Host header; absent: node's default, address:port */
  host?: string;
  /** SNI, "" for none */
  servername: string;
  verifyTls: boolean;
  /** lower-case MD5 hex of the expected body */
  digest?: string;
  /** the body must match it (keepalived url `regex`) */
  regex?: RegExp;
  statusOk(code: number): boolean;
  /** the accepted codes, for failure details */
  statusText: string;
}

const UP: Attempt = Object.freeze({ ok: true, detail: "ok" });

export function httpGet(p: HttpProbe, signal?: AbortSignal): Promise<Attempt> {
  return new Promise((resolve) => {
    const req = (p.tls ? httpsRequest : httpRequest)({
      host: p.address,
      port: p.port,
      path: p.path,
      method: "GET",
      localAddress: p.localAddress,
      // A fresh connection per check, like keepalived: a kept-alive socket would hide a server that no
      // longer accepts connections.
      agent: false,
      headers: p.host ? { host: p.host } : {},
      ...(p.tls ? { servername: p.servername, rejectUnauthorized: p.verifyTls } : {}),
    });
    let done = false;
    const finish = (r: Attempt): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      req.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, detail: "aborted" });
    // The timeout covers the whole exchange: a server that accepts and then never answers is down.
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no complete response within ${p.timeoutMs} ms` }),
      p.timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    // Stays attached after finish(): destroying an unanswered request emits "socket hang up".
    req.on("error", (err) => finish({ ok: false, detail: errorDetail(err) }));
    req.on("response", (res) => judgeResponse(p, res, finish));
    req.end();
    if (signal?.aborted) onAbort();
  });
}

function judgeResponse(p: HttpProbe, res: IncomingMessage, finish: (r: Attempt) => void): void {
  const code = res.statusCode ?? 0;
  res.on("error", (err) => finish({ ok: false, detail: errorDetail(err) }));
  if (!p.statusOk(code)) {
    finish({ ok: false, detail: `HTTP ${code}, accepted ${p.statusText}` });
    return;
  }
  if (!p.digest && !p.regex) {
    // Read the whole body anyway: a server that sends headers and then stalls is not serving.
    res.on("end", () => finish(UP));
    res.resume();
    return;
  }
  const hash = createHash("md5");
  const kept: Buffer[] = [];
  let keptBytes = 0;
  res.on("data", (chunk: Buffer) => {
    hash.update(chunk);
    if (p.regex && keptBytes < MAX_REGEX_BODY) {
      kept.push(chunk);
      keptBytes += chunk.length;
    }
  });
  res.on("end", () => {
    const got = hash.digest("hex");
    if (p.digest && got !== p.digest) return finish({ ok: false, detail: `body MD5 ${got}, expected ${p.digest}` });
    finish(p.regex ? bodyMatch(p.regex, Buffer.concat(kept).subarray(0, MAX_REGEX_BODY)) : UP);
  });
}

/** The body bytes a regex is matched against (keepalived matches as the body streams in; a bound here). */
export const MAX_REGEX_BODY = 4 * 1024 * 1024;

/** Up when the body (as Latin-1: one character per byte, as PCRE without utf) matches. Pure. */
export function bodyMatch(regex: RegExp, body: Buffer): Attempt {
  regex.lastIndex = 0;
  return regex.test(body.toString("latin1"))
    ? { ok: true, detail: "body matches regex" }
    : { ok: false, detail: `body does not match regex ${regex.source}` };
}
