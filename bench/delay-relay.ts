// Starts bench/delay-relay.mjs (a TCP relay adding an emulated round trip) as one process inside a lab
// host's namespace. It is tracked by that host, so lab.destroy() kills it by PID; stop() ends it sooner.
import { fileURLToPath } from "node:url";
import type { Host } from "../test/helpers/netns.ts";
import { Watched } from "../test/helpers/procs.ts";

export const RELAY_SCRIPT = fileURLToPath(new URL("./delay-relay.mjs", import.meta.url));

export interface Endpoint {
  host: string;
  port: number;
}

export interface Route {
  /** where the relay listens, in `host`'s namespace (e.g. a distinct 127.0.1.x address) */
  listen: Endpoint;
  /** where it forwards to */
  target: Endpoint;
}

export interface DelayRelay {
  proc: Watched;
  stop(): Promise<void>;
}

const ep = (e: Endpoint) => `${e.host}:${e.port}`;

export async function startDelayRelay(host: Host, rttMs: number, routes: Route[]): Promise<DelayRelay> {
  const args = [RELAY_SCRIPT, String(rttMs), ...routes.map((r) => `${ep(r.listen)}=${ep(r.target)}`)];
  const proc = new Watched(host.spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] }));
  const stop = async () => {
    proc.signal("SIGTERM");
    await proc.exited(3000).catch(() => proc.signal("SIGKILL"));
  };
  try {
    await proc.waitLine((l) => l.text.startsWith("relay ready"), 10_000, "the delay relay's listeners");
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, stop };
}
