// How the engine's output is shown to a person (pure): one line per resource step from the Automation
// API's events, and, when an operation fails, the CLI's "Diagnostics:" block rather than its whole text.
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";

const started = new Map<string, number>();

/** One line per resource step as the engine reports it, with its time; provider logs (warnings and up). */
export function describeEvent(e: EngineEvent, now = Date.now()): string | undefined {
  const name = (urn: string) => urn.split("::").slice(-1)[0];
  const type = (urn: string) => urn.split("::").slice(-2)[0]?.split("$").at(-1);
  if (e.resourcePreEvent) {
    const m = e.resourcePreEvent.metadata;
    if (m.op === "same" || type(m.urn)?.startsWith("pulumi:")) return undefined;
    started.set(m.urn, now);
    return `  ${m.op.padEnd(8)} ${type(m.urn)} ${name(m.urn)}`;
  }
  if (e.resOutputsEvent) {
    const m = e.resOutputsEvent.metadata;
    const t0 = started.get(m.urn);
    if (m.op === "same" || t0 === undefined) return undefined;
    return `  done     ${type(m.urn)} ${name(m.urn)} (${((now - t0) / 1000).toFixed(1)} s)`;
  }
  if (e.resOpFailedEvent)
    return `  FAILED   ${type(e.resOpFailedEvent.metadata.urn)} ${name(e.resOpFailedEvent.metadata.urn)}`;
  // The SDK logs every RPC at debug severity, secrets unwrapped: such events are never printed.
  if (e.diagnosticEvent && (e.diagnosticEvent.severity as string) !== "debug") {
    const d = e.diagnosticEvent;
    const who = d.urn ? `${name(d.urn)}: ` : "";
    // Ephemeral info is a resource's progress (the provider's bundle upload, for one).
    const label = d.ephemeral ? "..." : d.severity;
    return `  ${label.padEnd(8)} ${who}${d.message.trim()}`;
  }
  return undefined;
}

/**
 * The "Diagnostics:" block of the CLI's output (the engine's errors, by resource), as a failed
 * operation's CommandError carries it; undefined when there is none (the CLI failed before it ran).
 */
export function diagnosticsOf(output: string): string | undefined {
  const lines = output.split("\n");
  const start = lines.indexOf("Diagnostics:");
  if (start < 0) return undefined;
  // The block is indented; the next unindented line ("Resources:", "Duration:") ends it.
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .replace(/\s+$/, "");
}

/** A failed engine operation, its message the engine's own errors: shown without a stack. */
export class EngineFailure extends Error {}

/** The error to show for a failed operation: for the CLI's CommandError, its Diagnostics block. */
export function engineFailure(what: string, err: Error, isCommandError: boolean): Error {
  if (!isCommandError) return err;
  return new EngineFailure(`${what} failed:\n${diagnosticsOf(err.message) ?? err.message}`);
}
