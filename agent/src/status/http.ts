// GET /metrics for Prometheus. Nothing else is served: the control surface (reload) is the root-only
// unix socket, never TCP.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIP } from "node:net";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** "127.0.0.1:9572", "[::1]:9572", "localhost:9572" -> {host, port}; undefined when malformed. Pure. */
export function parseListen(listen: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  if (!m) return undefined;
  const host = m[1] ?? m[2] ?? "";
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  if (m[2] !== undefined && isIP(host) !== 4 && !/^[a-zA-Z0-9.-]+$/.test(host)) return undefined;
  return { host, port };
}

/** Stops the server; `port` is the bound port (useful when listening on port 0). */
export type CloseMetricsServer = (() => Promise<void>) & { readonly port: number };

/** Listens on `listen` (host:port); rejects when it cannot bind (EADDRINUSE, bad address). */
export async function startMetricsServer(listen: string, registry: { render(): string }): Promise<CloseMetricsServer> {
  const addr = parseListen(listen);
  if (!addr) throw new Error(`metrics listen address ${JSON.stringify(listen)} is not host:port`);
  const server = createServer((req, res) => handle(req, res, registry));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      // Prometheus keeps connections alive between scrapes: drop them or close() waits for them.
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return Object.assign(close, { port: typeof bound === "object" && bound ? bound.port : addr.port });
}

function handle(req: IncomingMessage, res: ServerResponse, registry: { render(): string }): void {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== "/metrics") return reply(res, 404, "not found\n");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return reply(res, 405, "method not allowed\n");
  }
  let body: string;
  try {
    body = registry.render();
  } catch (err) {
    return reply(res, 500, `render failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body) });
  res.end(req.method === "HEAD" ? undefined : body);
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}
