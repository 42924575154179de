// A TCP relay that adds a fixed one-way delay to every byte, in both directions: an emulated network
// round trip for lab hosts, since this kernel has no tc netem. One process serves many routes.
//
//   node bench/delay-relay.mjs RTT_MS LISTEN_ADDR:PORT=TARGET_ADDR:PORT ...
//
// Each chunk read from one side is written to the other RTT/2 ms after it was read, in the order read
// (one FIFO queue and one timer per direction; chunks are neither merged nor split). The end of the
// stream (FIN) travels the same queue, so a half-close reaches the other side after the data before it;
// an error or reset on one side destroys the other, also one way later.
// The TCP handshake: the client's connect() completes at once on loopback, but over a network it takes
// a round trip and the server accepts half a round trip after that. So the upstream connection is opened
// 1.5 RTT after the client is accepted, and bytes the client sends in its first RTT are carried as if
// sent at RTT: a fresh connection's first exchange takes 2 RTT, as over a network.
// Not emulated: loss, jitter, bandwidth (beyond the window below), and ACK timing: the relay ends TCP
// on both sides, so a Nagle hold at an endpoint (sshd's, outside ttys) ends when the relay's kernel ACKs
// over a zero-latency link, not an RTT later: such stalls are shorter here than over a network. Node's
// timers fire up to ~1 ms late, so each direction costs RTT/2 + 0-1 ms.
// Prints "relay ready ..." once every listener is up; runs until killed.
import net from "node:net";
import { performance } from "node:perf_hooks";

const [rttArg, ...routes] = process.argv.slice(2);
const rtt = Number(rttArg);
if (!(rtt >= 0) || routes.length === 0) {
  console.error("usage: delay-relay.mjs RTT_MS LISTEN_ADDR:PORT=TARGET_ADDR:PORT ...");
  process.exit(2);
}
const oneWay = rtt / 2;
/** Bytes a direction may hold in flight before it stops reading its source (TCP's window then pushes back). */
const WINDOW = 512 * 1024;

function hostPort(s) {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/**
 * Carries src's bytes, end and errors to dst, each oneWay ms late, in order; what src sends before
 * `notBefore` (a performance.now() time) counts as sent then. `first` (if given) is queued ahead of
 * everything src sends: the upstream connect, which must precede its writes.
 */
function delayLine(src, dst, notBefore = 0, first = undefined) {
  const queue = []; // { at, bytes, act }: act() delivers, bytes counts against the window
  let queued = 0;
  let timer;
  const underWindow = () => queued + dst.writableLength < WINDOW;
  const resumeIfRoom = () => {
    if (src.isPaused() && underWindow()) src.resume();
  };
  const deliver = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0].at <= now) {
      const item = queue.shift();
      queued -= item.bytes;
      if (!dst.destroyed) item.act(); // a destroyed dst (reset) drops what was still in flight to it
    }
    if (queue.length) timer = setTimeout(deliver, queue[0].at - now);
    resumeIfRoom();
  };
  const push = (act, bytes = 0) => {
    const now = performance.now();
    queue.push({ at: Math.max(now, notBefore) + oneWay, bytes, act });
    queued += bytes;
    timer ??= setTimeout(deliver, queue[0].at - now);
  };
  if (first) push(first);
  src.on("data", (chunk) => {
    push(() => dst.write(chunk), chunk.length);
    if (!underWindow()) src.pause();
  });
  dst.on("drain", resumeIfRoom);
  src.on("end", () => push(() => dst.end())); // half-close: FIN after the data before it
  // A reset or local failure: the other side is reset (RST, not FIN) one way later, after the data
  // queued before it.
  src.on("error", () => push(() => dst.resetAndDestroy()));
}

let listening = 0;
for (const route of routes) {
  const [from, to] = route.split("=").map(hostPort);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    // noDelay: the relay must not add Nagle stalls of its own. (Node 20 reads it from the constructor
    // only: given to connect() instead, it is silently ignored.)
    const upstream = new net.Socket({ allowHalfOpen: true, noDelay: true });
    // The server sees the connection 1.5 RTT after the client's connect() (see above).
    delayLine(client, upstream, performance.now() + rtt, () => upstream.connect(to));
    delayLine(upstream, client);
  });
  server.on("error", (err) => {
    console.error(`relay ${route}: ${err.message}`);
    process.exit(1);
  });
  server.listen(from.port, from.host, () => {
    if (++listening === routes.length) console.log(`relay ready rtt_ms=${rtt} routes=${routes.length}`);
  });
}
