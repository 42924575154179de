// The lvs package's TypeScript SDK: its resources (resources.ts), lvs.Cluster, a whole cluster from one
// ClusterSpec (cluster.ts, built on those resources), and rollout(), one change through many sites. Installed as the npm package `@pulumi/lvs`
// (`npm run package` compiles it); from a checkout, `import * as lvs from "<repo>/sdk/index.ts"`.
export * from "./resources.ts";
export { Cluster, validateClusterSpec, type ClusterArgs, type ClusterSpecInput } from "./cluster.ts";
export { rollout, type RolloutEvent, type RolloutReport, type SiteReport } from "../lvsctl/src/rollout/rollout.ts";
export type { RolloutPlanInput } from "../lvsctl/src/rollout/plan.ts";
