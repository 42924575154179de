// A planned cluster's resources put through their own Check (pure), each problem brought back to the
// cluster path it came from: what only a resource's cross-field rules or the agent's validator see (255
// for a director that owns no address, an advert interval VRRPv3 cannot carry, a VIP outside the
// subnet) is refused with the cluster file, not halfway through `lvsctl up`. A field the plan copied
// from elsewhere (a Vip member's connection is its Director's) is reported once, where it was written.
import type { PathSegment, Problem } from "../inputs/check.ts";
import type { Obj } from "../inputs/common.ts";
import { directorSpec } from "../resources/director/spec.ts";
import { vipSpec } from "../resources/vip/spec.ts";
import { virtualServerSpec } from "../resources/virtual-server/spec.ts";
import type { ClusterPlan } from "./plan.ts";
import type { ClusterSpec } from "./spec.ts";

/** A resource's problem path -> the cluster's, or undefined when another resource reports it. */
type PathMap = (path: PathSegment[]) => PathSegment[] | undefined;

function problemsAt(check: (raw: Obj) => { problems: Problem[] }, args: object, map: PathMap): Problem[] {
  return check(args as Obj).problems.flatMap((p) => {
    const path = map(p.path);
    return path ? [{ path, message: p.message }] : [];
  });
}

/** A Vip member's priority is vips[i].priorities.<director>, its sourceIp that director's address. */
function vipPath(spec: ClusterSpec, i: number): PathMap {
  const members = Object.keys(spec.vips[i]!.priorities).filter((n) => spec.directors.some((d) => d.name === n));
  return (path) => {
    if (path[0] !== "directors") return ["vips", i, ...path];
    const [, member, field] = path;
    const name = members[Number(member)]!;
    if (field === "priority") return ["vips", i, "priorities", name];
    if (field === "sourceIp") return ["directors", spec.directors.findIndex((d) => d.name === name), "address"];
    return undefined;
  };
}

/** The planned Directors, Vips and VirtualServers' own problems, at cluster paths. */
export function checkPlanned(spec: ClusterSpec, plan: ClusterPlan): Problem[] {
  return [
    ...plan.directors.flatMap((d, i) => problemsAt(directorSpec.check, d.args, (p) => ["directors", i, ...p])),
    ...plan.vips.flatMap((v, i) => problemsAt(vipSpec.check, v.args, vipPath(spec, i))),
    // A service's directors are its VIP's members: reported with the Vip and the Directors.
    ...plan.virtualServers.flatMap((vs, i) =>
      problemsAt(virtualServerSpec.check, { ...vs.args, realServers: [] }, (p) =>
        p[0] === "directors" ? undefined : ["virtualServers", i, ...p],
      ),
    ),
  ];
}
