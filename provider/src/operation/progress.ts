// Progress of a resource operation, for the person running `pulumi up`: each line goes to stderr (the
// plugin's log) and to the engine's Log service as an ephemeral info message on the resource being
// worked on, so the CLI shows it beside that resource while it runs and the Automation API gets it as
// a diagnostic event. The URN comes from the operation in progress (operation.ts), so code deep in an
// install needs no URN argument. Lines name hosts and steps, never a secret. Warnings (something the
// user asked for that weakens security) are not ephemeral: they stay in the CLI's diagnostics. I/O edge.
import { logToEngine } from "../rpc/engine-log.ts";
import { currentUrn } from "./operation.ts";

/** One line of progress about host. */
export function progress(host: string, what: string): void {
  const line = `${host}: ${what}`;
  process.stderr.write(`lvs: ${line}\n`);
  const urn = currentUrn();
  if (urn !== undefined) logToEngine(urn, line);
}

const warned = new Set<string>();

/** A warning about host, once per plugin process (each connection would repeat it otherwise). */
export function warning(host: string, what: string): void {
  const line = `${host}: ${what}`;
  if (warned.has(line)) return;
  warned.add(line);
  process.stderr.write(`lvs: warning: ${line}\n`);
  const urn = currentUrn();
  if (urn !== undefined) logToEngine(urn, line, "warning");
}
