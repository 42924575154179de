// lvs.RealServer's spec for Pulumi's Check (pure): the rules across fields, what the agent's own validator
// says of the fragment the inputs make, what forces a replacement, the import id, the computed outputs.
import { realServerOutputs } from "./plan.ts";
import { defineResource, type Problem } from "../../inputs/check.ts";
import type { Obj } from "../../inputs/common.ts";
import { RealServerInputs, RealServerOutputs } from "./schema.ts";

function realServerRules(raw: Obj): Problem[] {
  const mode = raw.forwarding ?? "DR";
  if (raw.prepare === false || (mode !== "DR" && mode !== "TUN")) return [];
  const out: Problem[] = [];
  if (raw.connection === undefined) {
    out.push({
      path: ["connection"],
      message: `is required to prepare a ${mode} real server (its VIPs go on ${mode === "DR" ? "lo" : "tunl0"} and its ARP settings change): give a connection, or set prepare: false and prepare the host yourself`,
    });
  }
  if (raw.vips === undefined || (Array.isArray(raw.vips) && raw.vips.length === 0)) {
    out.push({ path: ["vips"], message: `a ${mode} real server needs the VIPs it serves, to accept their traffic` });
  }
  if (raw.arpIgnore === 0 || (typeof raw.arpIgnore === "number" && raw.arpIgnore > 3 && raw.arpIgnore < 8)) {
    out.push({
      path: ["arpIgnore"],
      message: `${raw.arpIgnore === 0 ? "0 answers ARP for the VIP on lo and steals it from the director" : "4-7 are reserved by the kernel"}: use 1 (or 2, 3, 8)`,
    });
  }
  if (raw.arpAnnounce === 0)
    out.push({
      path: ["arpAnnounce"],
      message: "0 may send ARP requests from the VIP and steal it from the director: use 2 (or 1)",
    });
  const vips = Array.isArray(raw.vips) ? (raw.vips as unknown[]) : [];
  vips.forEach((v, i) => {
    if (vips.indexOf(v) !== i) out.push({ path: ["vips", i], message: "is listed twice" });
  });
  return out;
}

export const realServerSpec = defineResource({
  token: "lvs:index:RealServer",
  description:
    "A real server behind a virtual service; readies the host for DR/TUN (ARP sysctls, VIPs on lo) when prepare is set.",
  schema: RealServerInputs,
  named: true,
  rules: realServerRules,
  // Its agent-facing part is the agent's RealServer schema itself, checked in full by the schema.
  agentProblems: () => [],
  replaceOn: ["name", "connection.host"],
  connectionPaths: ["connection"],
  importInputs: (id) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})@([^@\s]+)$/.exec(id);
    if (!m)
      return `a RealServer's import id is <name>@<host>, the name it prepared the host under: for example web-1@10.0.0.11 (got ${JSON.stringify(id)})`;
    return { name: m[1], connection: { host: m[2] } };
  },
  outputs: RealServerOutputs,
  computed: realServerOutputs,
});
