// lvs.VirtualServer's spec for Pulumi's Check (pure): the rules across fields, what the agent's own validator
// says of the fragment the inputs make, what forces a replacement, the import id, the computed outputs.
import { virtualServerFragment, virtualServerOutputs } from "./plan.ts";
import { agentVerdict, defineResource, type PathSegment } from "../../inputs/check.ts";
import { duplicateHosts, parseNameAtHosts } from "../../inputs/rules.ts";
import { VirtualServerInputs, VirtualServerOutputs } from "./schema.ts";

/**
 * virtualServers.<name>.<field> in the fragment -> the same field of the resource. A problem with the
 * service as a whole (its address, port and fwmark together) is the address's; one with its key, the name's.
 */
const mapAgentPath = (path: PathSegment[]): PathSegment[] | undefined => {
  if (path[0] !== "virtualServers") return undefined;
  if (path.length > 2) return path.slice(2);
  return path[1] === "" ? ["name"] : ["address"];
};

export const virtualServerSpec = defineResource({
  token: "lvs:index:VirtualServer",
  description:
    "An IPVS virtual service (address:port or fwmark) with its real servers and health checks, run by lvs-agent.",
  schema: VirtualServerInputs,
  named: true,
  rules: (raw) =>
    duplicateHosts(
      raw.directors,
      (d) => d.host,
      (i) => ["directors", i, "host"],
    ),
  // The fragment is a selection of the raw fields: checked alongside the schema, from the raw input.
  agentProblems: (raw) => agentVerdict(virtualServerFragment(raw), mapAgentPath),
  replaceOn: ["name", "address", "port", "protocol", "fwmark"],
  connectionPaths: ["directors.*"],
  importInputs: (id) => {
    const p = parseNameAtHosts(id);
    if (!p)
      return `a VirtualServer's import id is <name>@<director>,<director>...: the service's name and the directors running it, for example http@10.0.0.2,10.0.0.3 (got ${JSON.stringify(id)})`;
    return { name: p.name, directors: p.hosts.map((host) => ({ host })) };
  },
  outputs: VirtualServerOutputs,
  computed: virtualServerOutputs,
});
