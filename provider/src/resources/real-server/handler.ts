// lvs.RealServer Create/Read/Update/Delete: the host prepared for DR/TUN over SSH, shared with other
// real servers on the same host through the host's record (prep/record.ts), one connection per
// operation. Each applied operation is logged to stderr (the engine's plugin log), never a secret.
//
// Test hooks (environment of the plugin): LVS_PROVIDER_TEST_HOST_ROOT puts every file the provider
// writes on a host under that directory instead of / ("{host}" in it becomes the host's address), for
// lab hosts that share one filesystem; LVS_PROVIDER_TEST_PAUSE_AFTER=<operation kind> ("sysctl",
// "addr-add", ...) stalls the first such operation's run after it, so a test can kill the plugin there.
import type { ConnectionT } from "../../inputs/common.ts";
import type { RealServerInputs } from "./schema.ts";
import { withHosts } from "../../host/executor.ts";
import { holdingStatus, type Want } from "./prep/record.ts";
import { TUNNEL_UP, describeOp, prepPaths } from "./prep/commands.ts";
import { converge, inspect, type ApplyHooks } from "./prep/apply.ts";
import {
  holderNamed,
  holderOf,
  idOf,
  importedInputs,
  inputsOf,
  outputsOf,
  parseInputs,
  readState,
  wantOf,
} from "./state.ts";
import { Connection, type Obj } from "../../inputs/common.ts";
import { realServerOutputs } from "./plan.ts";
import type { ResourceHandler } from "../contract.ts";

const pathsOn = (host: string) => prepPaths(host, process.env.LVS_PROVIDER_TEST_HOST_ROOT ?? "");
/** What it holds on its host, with file paths as they are there. */
const wantOn = (rs: RealServerInputs) => wantOf(rs, rs.connection ? pathsOn(rs.connection.host).root : "");

function applyHooks(host: string, holder: string): ApplyHooks {
  const pauseKind = process.env.LVS_PROVIDER_TEST_PAUSE_AFTER;
  let paused = false;
  return {
    // The test's pause needs the operations after it in a batch of their own.
    breakAfter: (op) => op.kind === pauseKind && !paused,
    async done(op) {
      process.stderr.write(`lvs: ${host}: ${holder}: ${describeOp(op)}\n`);
      if (op.kind !== pauseKind || paused) return;
      paused = true;
      process.stderr.write(`lvs-test: paused after ${describeOp(op)}\n`);
      await new Promise((resolve) => setTimeout(resolve, 600_000));
    },
  };
}

/**
 * Converge `holder` on the connection's host to want (release it when undefined). TUN first needs
 * tunl0 (its sysctls exist only once it does); bringing it up is not undone.
 */
function prepare(conn: ConnectionT, holder: string, want: Want | undefined, tunnel = false) {
  return withHosts([conn], async ([h]) => {
    if (tunnel && want) await h!.step("tunnel device tunl0", (ssh) => ssh.check(TUNNEL_UP));
    return converge(h!, pathsOn(conn.host), holder, want, applyHooks(conn.host, holder));
  });
}

/** `pulumi import` of `<name>@<host>`: what the host's record says that name holds there. */
async function importRealServer(id: string, declared: Obj): Promise<{ id: string; props: Obj; inputs: Obj }> {
  const name = String(declared.name);
  const conn = Connection.parse(declared.connection);
  const paths = pathsOn(conn.host);
  const { record, actual } = await withHosts([conn], ([h]) => inspect(h!, paths));
  const holder = holderNamed(name);
  const holding = record?.holders[holder];
  if (!record || !holding) {
    const held = record
      ? Object.keys(record.holders).map((k) => (k.startsWith(holderNamed("")) ? k.slice(holderNamed("").length) : k))
      : [];
    const where = record
      ? `its preparation record ${paths.record} names ${held.join(", ") || "no real server"}`
      : `it has no preparation record (${paths.record})`;
    throw new Error(`no real server ${JSON.stringify(name)} is prepared on ${conn.host}: ${where}`);
  }
  const found = { ...importedInputs(name, conn.host, holding), connection: declared.connection };
  const r = readState(found, { ...found, holder }, holding, holdingStatus(holding, actual), record);
  return { id, props: { ...r.props, ...realServerOutputs(parseInputs(r.inputs)) }, inputs: r.inputs };
}

export const realServerHandler: ResourceHandler = {
  async create(inputs) {
    const rs = parseInputs(inputs);
    const want = wantOn(rs);
    if (!want || !rs.connection) return { id: idOf(rs), outs: outputsOf(rs, undefined, undefined, false) };
    const done = await prepare(rs.connection, holderOf(rs), want, rs.forwarding === "TUN");
    return { id: idOf(rs), outs: outputsOf(rs, want, done.record, done.systemd) };
  },

  async read(id, props, declared, importing) {
    if (importing) return importRealServer(id, declared);
    const state = { ...props, ...declared };
    const holder = props.holder;
    const rs = typeof holder === "string" ? parseInputs(state) : undefined;
    if (typeof holder !== "string" || !rs?.connection) return { id, props, inputs: inputsOf(state) };
    const paths = pathsOn(rs.connection.host);
    // What it declared names what to read; the record may name more (read then as well).
    const { record, actual } = await withHosts([rs.connection], ([h]) => inspect(h!, paths, wantOn(rs)));
    const holding = record?.holders[holder];
    if (!record || !holding) return { id: "", props: {}, inputs: {} };
    return { id, ...readState(state, props, holding, holdingStatus(holding, actual), record) };
  },

  async update(_id, olds, news) {
    const rs = parseInputs(news);
    const want = wantOn(rs);
    const conn = rs.connection ?? parseInputs(olds).connection;
    const held = typeof olds.holder === "string";
    if (!conn || (!want && !held)) return outputsOf(rs, undefined, undefined, false);
    const done = await prepare(conn, holderOf(rs), want, rs.forwarding === "TUN");
    return outputsOf(rs, want, done.record, done.systemd);
  },

  async delete(_id, props) {
    const conn = parseInputs(props).connection;
    if (typeof props.holder !== "string" || !conn) return;
    await prepare(conn, props.holder, undefined);
  },
};
