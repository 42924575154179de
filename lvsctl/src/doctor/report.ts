// `lvsctl doctor`'s output (pure): for people, one line per examination (ok, FAIL, warn or n/a) and
// then every finding with where it is and its fix; the exit code (0 when nothing failed, 1 otherwise).
import type { DoctorReport, Finding } from "./observations.ts";

const MARK = { ok: "ok", fail: "FAIL", warn: "warn", "n/a": "n/a" } as const;

function where(f: Finding): string {
  const parts = [f.host, f.address, f.interface].filter((x): x is string => x !== undefined && x !== "");
  return [parts.join(" "), f.file ? `[${f.file}]` : ""].filter(Boolean).join(" ");
}

export function formatReport(r: DoctorReport): string {
  const width = Math.max(...r.examinations.map((e) => e.id.length));
  const failed = r.examinations.filter((e) => e.verdict === "fail").length;
  const warned = r.examinations.filter((e) => e.verdict === "warn").length;
  const lines = [
    `lvsctl doctor ${r.file}: ${r.examinations.length} examinations, ${failed} failed, ${warned} with warnings (${(r.ms / 1000).toFixed(1)} s)`,
    ...r.examinations.map((e) => `${MARK[e.verdict].padEnd(5)} ${e.id.padEnd(width)}  ${e.summary}`),
  ];
  const findings = r.examinations.flatMap((e) => e.findings);
  if (findings.length) {
    lines.push("", `${findings.length} finding(s):`);
    for (const f of findings) {
      lines.push(`${(f.severity === "fail" ? "FAIL" : "warn").padEnd(5)} ${f.examination}: ${where(f)}`);
      lines.push(`      ${f.what}`);
      lines.push(`      fix: ${f.fix}`);
    }
  }
  return lines.join("\n") + "\n";
}

export const exitCode = (r: DoctorReport): number => (r.ok ? 0 : 1);
