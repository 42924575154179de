// TCP_CHECK: the real server is up when it accepts a connection within the timeout. Thin I/O: connect,
// then close at once; nothing is sent.
import { connect } from "node:net";
import { errorDetail, type Attempt, type Endpoint } from "./core.ts";

// Shared results: at a thousand checks a second, the success path allocates nothing it need not.
const CONNECTED: Attempt = Object.freeze({ ok: true, detail: "connected" });
const ABORTED: Attempt = Object.freeze({ ok: false, detail: "aborted" });

export function tcpConnect(ep: Endpoint, signal?: AbortSignal): Promise<Attempt> {
  if (signal?.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const sock = connect({ host: ep.address, port: ep.port, localAddress: ep.localAddress });
    const finish = (r: Attempt): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      sock.removeListener("connect", onConnect);
      sock.removeListener("error", onError);
      // Swallow a late error (a RST racing our close) instead of crashing on an unhandled 'error'.
      sock.on("error", ignore);
      sock.destroy();
      resolve(r);
    };
    const onConnect = (): void => finish(CONNECTED);
    const onError = (err: Error): void => finish({ ok: false, detail: errorDetail(err) });
    const onAbort = (): void => finish(ABORTED);
    const timer = setTimeout(
      () => finish({ ok: false, detail: `no connection within ${ep.timeoutMs} ms` }),
      ep.timeoutMs,
    );
    sock.once("connect", onConnect);
    sock.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function ignore(): void {}
