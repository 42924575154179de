import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { Announcer } from "./announce.ts";

const targets = [
  { device: "eth0", mac: "02:00:00:00:00:01", address: "10.0.0.100" },
  { device: "eth0", mac: "02:00:00:00:00:01", address: "10.0.0.101" },
  { device: "eth1", mac: "02:00:00:00:00:02", address: "10.1.0.100" },
];

function run(settings: { count: number; intervalMs: number; repeatDelay: number; refresh: number }) {
  const sent: { t: number; device: string; n: number }[] = [];
  let now = 0;
  const a = new Announcer(targets, settings, (device, frames) => sent.push({ t: now, device, n: frames.length }));
  const tick = (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
  };
  return { a, sent, tick };
}

test("a burst of count rounds intervalMs apart, one frame per VIP, grouped per device", () => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  try {
    const { a, sent, tick } = run({ count: 3, intervalMs: 100, repeatDelay: 0, refresh: 0 });
    a.start();
    for (let i = 0; i < 5; i++) tick(100);
    assert.deepEqual(
      sent.map((s) => `${s.t}:${s.device}x${s.n}`),
      ["0:eth0x2", "0:eth1x1", "100:eth0x2", "100:eth1x1", "200:eth0x2", "200:eth1x1"],
    );
    a.stop();
  } finally {
    mock.timers.reset();
  }
});

test("a second burst after repeatDelay, then a refresh every refresh seconds until stopped", () => {
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  try {
    const { a, sent, tick } = run({ count: 2, intervalMs: 0, repeatDelay: 5, refresh: 60 });
    a.start();
    assert.equal(sent.length, 4, "2 rounds x 2 devices at once");
    tick(5000);
    assert.equal(sent.length, 8, "second burst after repeatDelay");
    tick(55_000);
    assert.equal(sent.length, 10, "one refresh round at 60 s");
    a.stop();
    tick(120_000);
    assert.equal(sent.length, 10, "nothing after stop");
  } finally {
    mock.timers.reset();
  }
});
