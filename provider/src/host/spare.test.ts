// The spare-channel bookkeeping against a fake ssh2 client (the real one is exercised through real sshd
// in test/provider/ssh.test.ts): which channel a command gets, and none that is dead or unusable.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Client, ClientChannel } from "ssh2";
import { Spares } from "./spare.ts";

class FakeChannel extends EventEmitter {
  closed = false;
  close(): void {
    this.closed = true;
    setImmediate(() => this.emit("close"));
  }
}

/** A client whose exec() answers at once with a new channel, or throws like ssh2 once not connected. */
function fakeClient(opts: { throws?: boolean } = {}) {
  const channels: FakeChannel[] = [];
  const client = new EventEmitter() as EventEmitter & {
    exec: (cmd: string, cb: (err: Error | undefined, ch: ClientChannel) => void) => void;
  };
  client.exec = (_cmd, cb) => {
    if (opts.throws) throw new Error("Not connected");
    const ch = new FakeChannel();
    channels.push(ch);
    setImmediate(() => cb(undefined, ch as unknown as ClientChannel));
  };
  return { client: client as unknown as Client, channels };
}

describe("Spares", () => {
  it("the first command gets none and one is opened behind it; the next gets that one, and `last` opens no more", async () => {
    const { client, channels } = fakeClient();
    const spares = new Spares(client, false, () => true);
    assert.equal(await spares.take(false), undefined);
    assert.equal(channels.length, 1);
    assert.equal(await spares.take(true), channels[0]);
    assert.equal(channels.length, 1, "nothing opened behind the last command");
  });

  it("a spare the server closed while it waited is not handed out", async () => {
    const { client, channels } = fakeClient();
    const spares = new Spares(client, false, () => true);
    await spares.take(false);
    await new Promise((r) => setImmediate(r));
    channels[0]!.emit("close");
    assert.equal(await spares.take(false), undefined);
  });

  it("none once the session is unusable, and none (no unhandled rejection) when ssh2 throws", async () => {
    let usable = true;
    const { client } = fakeClient();
    const spares = new Spares(client, false, () => usable);
    await spares.take(false);
    usable = false;
    assert.equal(await spares.take(false), undefined);
    const throwing = new Spares(fakeClient({ throws: true }).client, false, () => true);
    await throwing.take(false);
    assert.equal(await throwing.take(false), undefined);
  });

  it("drop closes the waiting spare, says it held one, and no spare is opened after", async () => {
    const { client, channels } = fakeClient();
    const spares = new Spares(client, false, () => true);
    await spares.take(false);
    assert.equal(await spares.drop(), true);
    assert.equal(channels[0]!.closed, true);
    assert.equal(await spares.take(false), undefined);
    assert.equal(channels.length, 1);
    assert.equal(await spares.drop(), false);
  });
});
