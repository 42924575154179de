// SMTP_CHECK: the real server is up when it greets with 2xx, answers HELO with 2xx and QUIT with 2xx,
// all within the timeout (keepalived's dialogue: 220, 250, 221). With `hosts`, each of those servers
// must pass (keepalived's host blocks). Thin I/O over the pure reply reader (smtp-reply.ts).
import { connect } from "node:net";
import type { SmtpHealthCheckConfig } from "../config/agent-checks.ts";
import { errorDetail, type Attempt, type Endpoint, type HealthTarget, type Probe } from "./core.ts";
import { positive, readReply, type SmtpReply } from "./smtp-reply.ts";

const DEFAULT_PORT = 25;

/** The probe for cfg: the real server (or each of `hosts`), one after the other; the first failure ends it. */
export function smtpProbe(cfg: SmtpHealthCheckConfig, target: HealthTarget): Probe {
  const hosts = cfg.hosts.length > 0 ? cfg.hosts : [{}];
  const endpoints: Endpoint[] = hosts.map((h) => ({
    address: h.address ?? target.address,
    port: h.port ?? cfg.port ?? (target.port || DEFAULT_PORT),
    localAddress: h.bindTo ?? cfg.bindTo,
    timeoutMs: cfg.connectTimeout * 1000,
  }));
  return async (signal) => {
    for (const ep of endpoints) {
      const r = await smtpDialogue(ep, cfg.helo, signal);
      if (!r.ok) return endpoints.length > 1 ? { ok: false, detail: `${ep.address}:${ep.port}: ${r.detail}` } : r;
    }
    return { ok: true, detail: "greeting, HELO and QUIT answered" };
  };
}

/** Greeting, HELO, QUIT on one connection; the timeout covers the whole dialogue. */
export function smtpDialogue(ep: Endpoint, helo: string, signal?: AbortSignal): Promise<Attempt> {
  if (signal?.aborted) return Promise.resolve({ ok: false, detail: "aborted" });
  return new Promise((resolve) => {
    const sock = connect({ host: ep.address, port: ep.port, localAddress: ep.localAddress });
    const steps: { send?: string; what: string }[] = [
      { what: "greeting" },
      { send: `HELO ${helo}\r\n`, what: "HELO" },
      { send: "QUIT\r\n", what: "QUIT" },
    ];
    let buf = "";
    const finish = (r: Attempt): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.removeAllListeners("data");
      sock.on("error", () => undefined);
      sock.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, detail: "aborted" });
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no complete dialogue within ${ep.timeoutMs} ms` }),
      ep.timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    sock.setEncoding("latin1");
    sock.once("error", (err) => finish({ ok: false, detail: errorDetail(err) }));
    sock.once("end", () =>
      finish({ ok: false, detail: `connection closed before the ${steps[0]?.what ?? "end"} reply` }),
    );
    sock.on("data", (chunk: string) => {
      buf += chunk;
      for (let got = readReply(buf); got; got = readReply(buf)) {
        buf = buf.slice(got.used);
        const step = steps.shift()!;
        if (!positive(got.reply)) return finish(refused(step.what, got.reply));
        if (steps.length === 0) return finish({ ok: true, detail: "greeting, HELO and QUIT answered" });
        sock.write(steps[0]!.send!);
      }
    });
  });
}

function refused(what: string, r: SmtpReply): Attempt {
  return {
    ok: false,
    detail: `${what} answered ${r.code || "with no SMTP reply"}${r.text ? ` (${r.text.slice(0, 60)})` : ""}`,
  };
}
