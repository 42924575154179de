// The lab client's request loop, run inside the client namespace: a new TCP connection per request to
// http://<vip>/ (so IPVS schedules each one), every <interval> ms for <count> requests, each with a
// short timeout. Prints {"start": epoch ms} first, then one JSON line per request: {"t": ms since start,
// "who": body} or {"t", "error"}.
//   node probe-main.ts <vip> <count> <intervalMs> <timeoutMs>
import { request } from "node:http";

const [vip, count, interval, timeout] = [
  process.argv[2]!,
  Number(process.argv[3]),
  Number(process.argv[4]),
  Number(process.argv[5]),
];
const t0 = performance.now();
process.stdout.write(`${JSON.stringify({ start: Date.now() })}\n`);

function once(): Promise<{ who?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: vip, port: 80, path: "/", agent: false, timeout }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ who: body.trim() }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ error: e.message }));
    req.end();
  });
}

for (let i = 0; i < count; i++) {
  const due = t0 + i * interval;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const t = Math.round(performance.now() - t0);
  process.stdout.write(`${JSON.stringify({ t, ...(await once()) })}\n`);
}
