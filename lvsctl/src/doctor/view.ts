// `lvsctl doctor`: the examinations' common ground (pure): the context (the file's spec, doctor's plan of
// it, the file's name for the fixes), lookups over the observations, and the wording shared by fixes.
import type { AgentStatus, InstanceStatus } from "../../../agent/src/status/format.ts";
import type { AdvertSender, AdvertsReport } from "../../../agent/src/vrrp/adverts.ts";
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import type {
  DirectorObservation,
  ExaminationId,
  ExaminationResult,
  Finding,
  Observations,
  RealServerObservation,
} from "./observations.ts";
import type { DirectorPlan, DoctorPlan } from "./plan.ts";

export interface Context {
  spec: ClusterSpec;
  plan: DoctorPlan;
  /** the cluster file as the user named it, for the fixes */
  file: string;
}

export type Vip = ClusterSpec["vips"][number];

export const ipOf = (cidr: string) => cidr.split("/")[0]!;
export const at = (name: string, host: string) => `${name} (${host})`;
export const on = (name: string, host: string, cmd: string) => `on ${at(name, host)}: ${cmd}`;
/** The provider's way back to the file: read the hosts into the state, then put every difference right. */
export const redeploy = (file: string) => `lvsctl refresh -f ${file} && lvsctl up -f ${file}`;
export const list = (names: string[]) =>
  names.length <= 1 ? (names[0] ?? "none") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;

export function statusOf(d: DirectorObservation | undefined): AgentStatus | undefined {
  return d?.agent && !("error" in d.agent) ? d.agent : undefined;
}
export function advertsOf(d: DirectorObservation | undefined): AdvertsReport | undefined {
  return d?.adverts && !("error" in d.adverts) ? d.adverts : undefined;
}
export const instanceOf = (d: DirectorObservation | undefined, vip: string): InstanceStatus | undefined =>
  statusOf(d)?.instances.find((i) => i.name === vip);

export function result(id: ExaminationId, findings: Finding[], summary: string, none = false): ExaminationResult {
  const verdict = findings.some((f) => f.severity === "fail") ? "fail" : findings.length ? "warn" : none ? "n/a" : "ok";
  return { id, verdict, summary, findings };
}

/** Lookups over the observations, shared by the examinations. */
export class View {
  protected readonly dObs: Map<string, DirectorObservation>;
  protected readonly rObs: Map<string, RealServerObservation>;

  constructor(
    protected readonly c: Context,
    protected readonly o: Observations,
  ) {
    this.dObs = new Map(o.directors.map((d) => [d.name, d]));
    this.rObs = new Map(o.realServers.map((r) => [r.name, r]));
  }

  protected reachable(d: DirectorPlan): DirectorObservation | undefined {
    const x = this.dObs.get(d.name);
    return x && !x.unreachable ? x : undefined;
  }

  protected members(v: Vip): DirectorPlan[] {
    return this.c.plan.directors.filter((d) => d.vips.includes(v.name));
  }

  protected directorAt(address: string): DirectorPlan | undefined {
    return this.c.plan.directors.find((d) => d.address === address);
  }

  protected vipPath(v: Vip): string {
    return `vips[${this.c.spec.vips.indexOf(v)}]`;
  }

  /** Every director's listener: who it heard on which interface. */
  protected heard(): Array<{ by: DirectorPlan; s: AdvertSender }> {
    return this.c.plan.directors.flatMap((d) =>
      (advertsOf(this.dObs.get(d.name))?.senders ?? []).map((s) => ({ by: d, s })),
    );
  }
}
