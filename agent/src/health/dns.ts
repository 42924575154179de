// DNS_CHECK: the real server is up when it answers a query of the configured type and name over UDP
// with the query's id and no error RCODE, within the timeout. Thin I/O over dns-message.ts.
import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { isIPv6 } from "node:net";
import type { DnsHealthCheckConfig } from "../config/agent-checks.ts";
import { errorDetail, type Attempt, type Endpoint, type HealthTarget, type Probe } from "./core.ts";
import { encodeQuery, judgeReply, type DnsType } from "./dns-message.ts";

const DEFAULT_PORT = 53;

export function dnsProbe(cfg: DnsHealthCheckConfig, target: HealthTarget): Probe {
  const ep: Endpoint = {
    address: target.address,
    port: cfg.port ?? (target.port || DEFAULT_PORT),
    localAddress: cfg.bindTo,
    timeoutMs: cfg.connectTimeout * 1000,
  };
  return (signal) => dnsQuery(ep, cfg.name, cfg.queryType, signal);
}

/** One query from a fresh socket (a fresh source port); datagrams that are not its answer are ignored. */
export function dnsQuery(ep: Endpoint, name: string, type: DnsType, signal?: AbortSignal): Promise<Attempt> {
  if (signal?.aborted) return Promise.resolve({ ok: false, detail: "aborted" });
  return new Promise((resolve) => {
    const id = randomInt(0, 0x10000);
    const sock = createSocket(isIPv6(ep.address) ? "udp6" : "udp4");
    const finish = (r: Attempt): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.removeAllListeners("message");
      sock.on("error", () => undefined);
      sock.close();
      resolve(r);
    };
    const onAbort = (): void => finish({ ok: false, detail: "aborted" });
    const timer = setTimeout(() => finish({ ok: false, detail: `no answer within ${ep.timeoutMs} ms` }), ep.timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    sock.once("error", (err) => finish({ ok: false, detail: errorDetail(err) }));
    sock.on("message", (msg, from) => {
      if (from.address !== ep.address) return;
      const verdict = judgeReply(msg, id);
      if (verdict) finish(verdict);
    });
    sock.bind({ address: ep.localAddress, port: 0 }, () => {
      sock.send(encodeQuery(id, name, type), ep.port, ep.address, (err) => {
        if (err) finish({ ok: false, detail: errorDetail(err) });
      });
    });
  });
}
