// lvs.Cluster: a whole cluster from one ClusterSpec (the document `lvsctl apply` takes), as child
// resources: a Director per director host, a Vip per VRRP group, a RealServer per backend (sharing the
// host preparation) and a VirtualServer per service, whose real servers are its RealServers' backends.
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, type ClusterSpecInput } from "../provider/src/cluster/spec.ts";
import { planCluster } from "../provider/src/cluster/plan.ts";
import { Director, RealServer, Vip, VirtualServer, type Connection, type DeepInput } from "./resources.ts";

export type { ClusterSpecInput };

type Spec = ClusterSpecInput;
type WithInputConnection<T> = Omit<T, "connection"> &
  ("connection" extends keyof T ? { connection?: DeepInput<Connection> } : unknown);

/** A ClusterSpec whose connections may hold Pulumi inputs (pulumi.secret(key), a config value, ...). */
export type ClusterArgs = Omit<Spec, "directors" | "realServers"> & {
  directors: (WithInputConnection<Spec["directors"][number]> & { connection: DeepInput<Connection> })[];
  realServers?: WithInputConnection<NonNullable<Spec["realServers"]>[number]>[];
};

/** Outputs inside connections stand in as a placeholder string: their values are checked by the provider. */
function withPlaceholders(spec: unknown): unknown {
  if (pulumi.Output.isInstance(spec)) return "unknown-until-apply";
  if (Array.isArray(spec)) return spec.map(withPlaceholders);
  if (typeof spec === "object" && spec !== null)
    return Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, withPlaceholders(v)]));
  return spec;
}

/** A pin of the right form, standing in for one the provider's `lvs:hostKeys` config may give. */
const PIN_FROM_CONFIG = `SHA256:${"A".repeat(43)}`;

/**
 * The credentials and pin a connection leaves out may come from the provider's `lvs:` config, which
 * the provider merges in (and then checks, naming the field): stand-ins let the rest be judged here.
 */
function withConfigStandIns(spec: unknown): unknown {
  const fill = (c: unknown) => {
    if (typeof c !== "object" || c === null) return c;
    const conn = c as Record<string, unknown>;
    const credentials = conn.privateKey !== undefined || conn.password !== undefined;
    const pinned = conn.hostKey !== undefined || conn.insecureIgnoreHostKey === true;
    return {
      ...conn,
      ...(credentials ? {} : { privateKey: "from-provider-config" }),
      ...(pinned ? {} : { hostKey: PIN_FROM_CONFIG }),
    };
  };
  if (typeof spec !== "object" || spec === null) return spec;
  const s = spec as Record<string, unknown>;
  const hosts = (list: unknown) =>
    Array.isArray(list) ? list.map((h: Record<string, unknown>) => ({ ...h, connection: fill(h.connection) })) : list;
  return { ...s, directors: hosts(s.directors), realServers: hosts(s.realServers) };
}

/** The validated spec with the connections as given, so secrets and other inputs reach the resources. */
function withOriginalConnections(parsed: ClusterSpec, given: ClusterArgs): ClusterSpec {
  const restore = <T extends { connection?: unknown }>(list: T[], orig: { connection?: unknown }[] | undefined): T[] =>
    list.map((item, i) => ({ ...item, connection: orig?.[i]?.connection ?? item.connection }));
  return {
    ...parsed,
    directors: restore(parsed.directors, given.directors),
    realServers: restore(parsed.realServers, given.realServers),
  };
}

/** Every problem of the spec at once, each with its path, before any resource is registered. */
export function validateClusterSpec(input: unknown): ClusterSpec {
  const parsed = ClusterSpec.safeParse(withConfigStandIns(withPlaceholders(input)));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".") || "(spec)"}: ${i.message}`);
    throw new Error(`invalid ClusterSpec:\n  ${lines.join("\n  ")}`);
  }
  const plan = planCluster(parsed.data);
  if (!plan.ok) throw new Error(`invalid ClusterSpec:\n  ${plan.problems.join("\n  ")}`);
  return parsed.data;
}

export class Cluster extends pulumi.ComponentResource {
  readonly directors: Record<string, Director> = {};
  readonly vips: Record<string, Vip> = {};
  readonly realServers: Record<string, RealServer> = {};
  readonly virtualServers: Record<string, VirtualServer> = {};

  constructor(name: string, spec: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lvs:index:Cluster", name, {}, opts);
    const plan = planCluster(withOriginalConnections(validateClusterSpec(spec), spec));
    if (!plan.ok) throw new Error(plan.problems.join("\n"));
    const child = { parent: this };
    for (const d of plan.plan.directors) this.directors[d.name] = new Director(`${name}-${d.name}`, d.args, child);
    // Vips and virtual servers write fragments for the agent the Director installs: they wait for it.
    const afterDirectors = { ...child, dependsOn: Object.values(this.directors) };
    for (const v of plan.plan.vips) this.vips[v.name] = new Vip(`${name}-${v.name}`, v.args, afterDirectors);
    for (const r of plan.plan.realServers)
      this.realServers[r.name] = new RealServer(`${name}-${r.name}`, r.args, child);
    for (const s of plan.plan.virtualServers) {
      const realServers = s.backends.map((b) => this.realServers[b]!.backend);
      this.virtualServers[s.name] = new VirtualServer(
        `${name}-${s.name}`,
        { ...s.args, name: s.name, realServers: pulumi.all(realServers) },
        afterDirectors,
      );
    }
    this.registerOutputs({});
  }
}
