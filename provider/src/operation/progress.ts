// Progress of a resource operation, for the person running `pulumi up`: each line goes to stderr (the
// plugin's log) and to the engine's Log service as an ephemeral info message on the resource being
// worked on, so the CLI shows it beside that resource while it runs and the Automation API gets it as
// a diagnostic event. The URN comes from the operation in progress (operation.ts), so code deep in an
// install needs no URN argument. Lines name hosts and steps, never a secret. I/O edge.
import { logToEngine } from "../rpc/engine-log.ts";
import { currentUrn } from "./operation.ts";

/** One line of progress about host. */
export function progress(host: string, what: string): void {
  const line = `${host}: ${what}`;
  process.stderr.write(`lvs: ${line}\n`);
  const urn = currentUrn();
  if (urn !== undefined) logToEngine(urn, line);
}
