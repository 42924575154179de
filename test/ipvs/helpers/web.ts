// Tiny HTTP real servers and an HTTP client for the traffic tests inside user-mode Linux. Each is one
// `node -e` process in a lab namespace (a spawn costs ~0.3 s in UML, so the client makes all its
// requests from one process). Every request is a new TCP connection, so IPVS schedules each one.
import type { Host } from "../../helpers/netns.ts";
import { Watched } from "../../helpers/procs.ts";

/** Answers every request with its name; GET /hold answers the status line and the name, then never ends. */
const SERVER = `
const http = require("node:http");
const [name, port] = process.argv.slice(1);
const server = http.createServer((req, res) => {
  if (req.url === "/hold") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write(name + "\\n");
    return;
  }
  res.writeHead(200, { "content-type": "text/plain", connection: "close" });
  res.end(name + "\\n");
});
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.listen(Number(port), () => console.log("listening " + name));
`;

/** Starts the HTTP server `name` on port in host; resolves once it listens. */
export async function startWeb(host: Host, name: string, port = 80): Promise<Watched> {
  const w = new Watched(host.spawn(process.execPath, ["-e", SERVER, name, String(port)]));
  await w.waitLine((l) => l.text === `listening ${name}`, 20_000, `web server ${name} in ${host.name}`);
  return w;
}

/**
 * mode "get": `count` sequential GETs, printing one JSON line {counts, errors} at the end.
 * mode "hold": `count` GET /hold requests kept open; prints "held <name>" per answer, then waits to be killed.
 */
const CLIENT = `
const http = require("node:http");
const { url, count, mode, timeoutMs } = JSON.parse(process.argv[1]);
function get(path) {
  return new Promise((resolve) => {
    const req = http.get(url + path, { agent: false, timeout: timeoutMs, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
        if (mode === "hold" && body.endsWith("\\n")) resolve({ name: body.trim(), res });
      });
      res.on("end", () => resolve({ name: body.trim() }));
      res.on("error", (e) => resolve({ error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.code || e.message }));
  });
}
(async () => {
  if (mode === "hold") {
    const held = await Promise.all(Array.from({ length: count }, () => get("/hold")));
    for (const h of held) console.log(h.error ? "error " + h.error : "held " + h.name);
    setInterval(() => {}, 60000);
    return;
  }
  const counts = {};
  const errors = [];
  for (let i = 0; i < count; i++) {
    const r = await get("/");
    if (r.error) errors.push(r.error);
    else counts[r.name] = (counts[r.name] || 0) + 1;
  }
  console.log(JSON.stringify({ counts, errors }));
})();
`;

export interface Tally {
  counts: Record<string, number>;
  errors: string[];
}

/** `count` requests to url from host, each a new connection; which real server answered how often. */
export async function requests(host: Host, url: string, count: number, timeoutMs = 3000): Promise<Tally> {
  const w = new Watched(
    host.spawn(process.execPath, ["-e", CLIENT, JSON.stringify({ url, count, mode: "get", timeoutMs })]),
  );
  const line = await w.waitLine(
    (l) => l.text.startsWith("{"),
    20_000 + count * timeoutMs,
    `${count} requests to ${url} from ${host.name}`,
  );
  await w.exited(10_000);
  return JSON.parse(line.text) as Tally;
}

/** `count` long-lived connections to url from host; resolves with the names that answered. Kill w by PID when done. */
export async function hold(host: Host, url: string, count: number): Promise<{ w: Watched; names: string[] }> {
  const w = new Watched(
    host.spawn(process.execPath, ["-e", CLIENT, JSON.stringify({ url, count, mode: "hold", timeoutMs: 0 })]),
  );
  await w.waitLine(() => w.lines.length >= count, 30_000, `${count} held connections to ${url}`);
  const bad = w.lines.filter((l) => !l.text.startsWith("held "));
  if (bad.length) throw new Error(`held connections failed: ${bad.map((l) => l.text).join("; ")}`);
  return { w, names: w.lines.map((l) => l.text.slice("held ".length)) };
}

/** Real-server preparation for DR: no ARP for addresses on lo, the VIP/32 on lo. */
export function prepareDrRealServer(host: Host, vip: string): void {
  const sysctls = ["all", "lo", "eth0"].flatMap((dev) => [
    `net.ipv4.conf.${dev}.arp_ignore=1`,
    `net.ipv4.conf.${dev}.arp_announce=2`,
  ]);
  host.exec("sysctl", ["-q", "-w", ...sysctls]);
  host.exec("ip", ["addr", "add", `${vip}/32`, "dev", "lo"]);
}
