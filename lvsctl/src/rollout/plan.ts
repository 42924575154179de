// A multi-site rollout plan (pure): the sites (each a stack of one cluster file), the canary that goes
// first, the waves after it, the health gates every site must pass before the next one starts, and
// whether a site that fails them is rolled back. One zod schema; every problem reported at once.
import { z } from "zod";
import { errorMap } from "../../../provider/src/inputs/common.ts";

const siteName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "must be 1-64 letters, digits, '_', '.' or '-' (it names a stack)");

export const RolloutSite = z.strictObject({
  name: siteName,
  /** the site's cluster file (relative to the plan file) */
  file: z.string().min(1),
  /** its stack (default: the site's name) */
  stack: siteName.optional(),
  /** where its state lives (default: beside its cluster file) */
  backend: z.string().min(1).optional(),
});

export const Gates = z.strictObject({
  /** real servers allowed to be down in a site after its deployment */
  unhealthyAllowed: z.number().int().min(0).default(0),
  /** `preview --refresh` must show no change after the deployment */
  drift: z.boolean().default(true),
  /** each virtual server answers a request through its VIP (TCP; an HTTP request on ports 80 and 8080) */
  probe: z.boolean().default(true),
  /** seconds the gates may take to pass (health checks need a few rounds after a change) */
  waitSeconds: z.number().positive().max(3600).default(60),
});

export const RolloutPlan = z.strictObject({
  sites: z.array(RolloutSite).min(1),
  /** the site deployed first, alone (default: the first site) */
  canary: siteName.optional(),
  /** the sites after the canary, wave by wave (default: one wave per site, in the listed order) */
  waves: z.array(z.array(siteName).min(1)).optional(),
  gates: Gates.default(Gates.parse({})),
  /** roll a site that fails its gates back to the deployment it had before the rollout */
  rollback: z.boolean().default(false),
});

export type RolloutPlan = z.infer<typeof RolloutPlan>;
export type RolloutPlanInput = z.input<typeof RolloutPlan>;
export type RolloutSite = z.infer<typeof RolloutSite>;
export type Gates = z.infer<typeof Gates>;

export interface PlanProblem {
  path: (string | number)[];
  message: string;
}

export type PlanResult =
  { ok: true; plan: RolloutPlan; waves: RolloutSite[][] } | { ok: false; problems: PlanProblem[] };

/** The order of the rollout: [canary], then each wave; every site exactly once. */
export function orderSites(plan: RolloutPlan): { waves: RolloutSite[][]; problems: PlanProblem[] } {
  const problems: PlanProblem[] = [];
  const byName = new Map(plan.sites.map((s) => [s.name, s]));
  plan.sites.forEach((s, i) => {
    if (plan.sites.findIndex((x) => x.name === s.name) !== i)
      problems.push({ path: ["sites", i, "name"], message: `"${s.name}" is used twice` });
  });
  const canary = plan.canary ?? plan.sites[0]!.name;
  if (!byName.has(canary)) problems.push({ path: ["canary"], message: `no site named "${canary}"` });
  const rest = plan.waves ?? plan.sites.filter((s) => s.name !== canary).map((s) => [s.name]);
  const seen = new Set([canary]);
  rest.forEach((wave, i) =>
    wave.forEach((name, j) => {
      if (!byName.has(name)) problems.push({ path: ["waves", i, j], message: `no site named "${name}"` });
      else if (seen.has(name))
        problems.push({ path: ["waves", i, j], message: `"${name}" is already deployed earlier in the rollout` });
      seen.add(name);
    }),
  );
  const left = [...byName.keys()].filter((n) => !seen.has(n));
  if (left.length)
    problems.push({ path: ["waves"], message: `${left.join(", ")} in no wave: add them, or remove them from sites` });
  const waves = [[canary], ...rest].map((w) => w.flatMap((n) => byName.get(n) ?? []));
  return { waves, problems };
}

export function parseRolloutPlan(input: unknown): PlanResult {
  const r = RolloutPlan.safeParse(input, { error: errorMap });
  if (!r.success)
    return {
      ok: false,
      problems: r.error.issues.flatMap((i) =>
        i.code === "unrecognized_keys"
          ? i.keys.map((k) => ({ path: [...(i.path as (string | number)[]), k], message: `unknown field "${k}"` }))
          : [{ path: i.path as (string | number)[], message: i.message }],
      ),
    };
  const { waves, problems } = orderSites(r.data);
  return problems.length ? { ok: false, problems } : { ok: true, plan: r.data, waves };
}
