import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentMetrics, Registry, escapeLabelValue, formatValue } from "./metrics.ts";

test("counters and gauges render in the 0.0.4 text format", () => {
  const r = new Registry();
  const c = r.counter("lvs_x_total", "Things.", ["instance"]);
  const g = r.gauge("lvs_y", "Level.");
  c.inc({ instance: "VI_1" });
  c.inc({ instance: "VI_1" }, 2);
  c.inc({ instance: "VI_2" });
  g.set({}, 1.5);
  assert.equal(
    r.render(),
    "# HELP lvs_x_total Things.\n# TYPE lvs_x_total counter\n" +
      'lvs_x_total{instance="VI_1"} 3\nlvs_x_total{instance="VI_2"} 1\n' +
      "# HELP lvs_y Level.\n# TYPE lvs_y gauge\nlvs_y 1.5\n",
  );
});

test("an unlabelled metric is exported as 0 before it is touched; a labelled one has no series", () => {
  const r = new Registry();
  r.counter("a_total", "A.");
  r.counter("b_total", "B.", ["x"]);
  assert.equal(
    r.render(),
    "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n# HELP b_total B.\n# TYPE b_total counter\n",
  );
});

test("label values and help text are escaped", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const r = new Registry();
  r.gauge("g", "line one\nback\\slash", ["l"]).set({ l: 'say "hi"\n' }, 1);
  assert.equal(r.render(), '# HELP g line one\\nback\\\\slash\n# TYPE g gauge\ng{l="say \\"hi\\"\\n"} 1\n');
});

test("special values use Go's spellings", () => {
  assert.deepEqual([NaN, Infinity, -Infinity, 0.25, 3].map(formatValue), ["NaN", "+Inf", "-Inf", "0.25", "3"]);
});

test("wrong label sets, names and counter decrements are programming errors", () => {
  const r = new Registry();
  const c = r.counter("c_total", "C.", ["instance"]);
  assert.throws(() => c.inc({ instanse: "x" } as never), /takes labels \{instance\}/);
  assert.throws(() => c.inc({ instance: "x", extra: "y" } as never), /takes labels/);
  assert.throws(() => c.inc({ instance: "x" }, -1), /only goes up/);
  assert.throws(() => r.counter("c_total", "again"), /registered twice/);
  assert.throws(() => r.gauge("bad-name", "x"), /bad metric name/);
  assert.throws(() => r.gauge("ok", "x", ["__reserved"]), /bad label name/);
});

test("remove drops matching series only", () => {
  const r = new Registry();
  const c = r.counter("d_total", "D.", ["instance", "reason"]);
  c.inc({ instance: "A", reason: "ttl" });
  c.inc({ instance: "A", reason: "auth" });
  c.inc({ instance: "B", reason: "ttl" });
  c.remove({ instance: "A" });
  assert.equal(c.get({ instance: "A", reason: "ttl" }), undefined);
  assert.equal(c.get({ instance: "B", reason: "ttl" }), 1);
});

test("agent metrics: one-hot state, names the dashboards use, forgetting an instance", () => {
  const m = new AgentMetrics();
  m.setState("VI_1", "BACKUP");
  m.setState("VI_1", "MASTER");
  m.transitions.inc({ instance: "VI_1", to: "MASTER" });
  m.advertsSent.inc({ instance: "VI_1" });
  m.packetsDropped.inc({ instance: "VI_1", reason: "checksum" });
  m.priority.set({ instance: "VI_1" }, 120);
  m.reloads.inc({ result: "ok" });
  const text = m.render();
  for (const line of [
    'lvs_vrrp_state{instance="VI_1",state="INIT"} 0',
    'lvs_vrrp_state{instance="VI_1",state="BACKUP"} 0',
    'lvs_vrrp_state{instance="VI_1",state="MASTER"} 1',
    'lvs_vrrp_state{instance="VI_1",state="FAULT"} 0',
    'lvs_vrrp_transitions_total{instance="VI_1",to="MASTER"} 1',
    'lvs_vrrp_adverts_sent_total{instance="VI_1"} 1',
    'lvs_vrrp_packets_dropped_total{instance="VI_1",reason="checksum"} 1',
    'lvs_vrrp_priority{instance="VI_1"} 120',
    'lvs_agent_reloads_total{result="ok"} 1',
    "lvs_agent_config_last_reload_success_timestamp_seconds 0",
  ])
    assert.ok(text.split("\n").includes(line), line);
  m.reloads.inc({ result: "ok" });
  m.forgetInstance("VI_1");
  assert.ok(!m.render().includes('instance="VI_1"'));
  assert.ok(m.render().includes('lvs_agent_reloads_total{result="ok"} 2'));
});

test("every exposed line is well formed", () => {
  const m = new AgentMetrics();
  m.setState('we"ird\\name', "FAULT");
  m.info.set({ version: "0.1.0" }, 1);
  const sample =
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/;
  const lines = m.render().trimEnd().split("\n");
  for (const l of lines) assert.ok(l.startsWith("# HELP ") || l.startsWith("# TYPE ") || sample.test(l), l);
});
