// The lvs package's TypeScript SDK: its resources (resources.ts) and lvs.Cluster, a whole cluster from
// one ClusterSpec (cluster.ts, built on those resources). Installed as the npm package `@pulumi/lvs`
// (`npm run package` compiles it); from a checkout, `import * as lvs from "<repo>/sdk/index.ts"`.
export * from "./resources.ts";
export { Cluster, validateClusterSpec, type ClusterArgs, type ClusterSpecInput } from "./cluster.ts";
