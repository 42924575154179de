// A configuration problem: what is wrong, at which path, and how it is printed. Pure. The validators
// on every level share it (validate.ts for the whole config, validate-ipvs.ts, health-checks.ts for one
// health check); it lives below them all and imports nothing, so none of them imports another to get it.

export type PathSegment = string | number;
export interface Problem {
  path: PathSegment[];
  message: string;
}

/** `instances.VI_1.trackScripts[0].name: message` */
export function formatProblem(p: Problem): string {
  return p.path.length === 0 ? p.message : `${formatPath(p.path)}: ${p.message}`;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === "number") return `[${seg}]`;
      if (/^[\w-]+$/.test(seg)) return i === 0 ? seg : `.${seg}`;
      return `[${JSON.stringify(seg)}]`;
    })
    .join("");
}

/** A zod issue's path key as a path segment. */
export function toSegment(key: PropertyKey): PathSegment {
  return typeof key === "number" ? key : String(key);
}
