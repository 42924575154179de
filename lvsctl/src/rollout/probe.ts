// A request through each virtual server's VIP (thin I/O shell), as a client would make it: a TCP
// connection, and on ports 80 and 8080 an HTTP request that must get an HTTP answer. UDP and fwmark
// services are not probed (there is no request every UDP service answers). Each answer names its target.
import { connect } from "node:net";
import { planCluster } from "../../../provider/src/cluster/plan.ts";
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import type { ProbeAnswer } from "./gates.ts";

const HTTP_PORTS = new Set([80, 8080]);

function request(host: string, port: number, timeoutMs: number): Promise<ProbeAnswer> {
  const target = `${host}:${port}`;
  const http = HTTP_PORTS.has(port);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let got = "";
    const done = (ok: boolean, detail: string) => {
      sock.destroy();
      resolve({ target, ok, detail });
    };
    sock.setTimeout(timeoutMs, () => done(false, `no answer in ${timeoutMs} ms`));
    sock.on("error", (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
    sock.on("connect", () => {
      if (!http) return done(true, `connected (${Date.now() - t0} ms)`);
      sock.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`);
    });
    sock.on("data", (c: Buffer) => {
      got += c.toString("latin1");
      const status = /^HTTP\/\d\.\d (\d{3})/.exec(got);
      if (status) done(Number(status[1]) < 500, `HTTP ${status[1]} (${Date.now() - t0} ms)`);
      else if (got.length > 64) done(false, "answered, but not HTTP");
    });
    sock.on("end", () => done(false, got ? "answered, but not HTTP" : "closed without an answer"));
  });
}

export async function probeServices(spec: ClusterSpec, timeoutMs = 2000): Promise<ProbeAnswer[]> {
  const plan = planCluster(spec);
  if (!plan.ok) return [];
  const targets = plan.plan.virtualServers.flatMap((vs) => {
    const { address, port, protocol } = vs.args as { address?: string; port?: number; protocol?: string };
    return address && port && (protocol ?? "TCP") === "TCP" ? [{ address, port }] : [];
  });
  return Promise.all(targets.map((t) => request(t.address, t.port, timeoutMs)));
}
