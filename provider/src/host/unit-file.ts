// Values in a systemd unit file (pure): the unit's counterpart of shQuote. A unit is line-based and
// expands specifiers (%i, %h) in every value and $VARIABLES on Exec lines, so a value taken from the
// inputs is escaped for both and written as one quoted word; what a unit cannot hold safely (a control
// character would start a new line, that is a new directive such as ExecStartPre=) is refused, never
// written.

/**
 * Why `value` cannot be written into a unit, or undefined. Control characters end the line; a backslash
 * or a double quote is read differently by different systemd versions' word splitting.
 */
export function unitValueProblem(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    return "a systemd unit cannot hold a control character (a newline would start a directive of its own)";
  if (/["\\]/.test(value)) return "a systemd unit cannot hold a double quote or a backslash in a path: rename it";
  return undefined;
}

/** One word of a unit value (ReadWritePaths=): % doubled, quoted when it holds spaces or quotes. */
export const unitWord = (value: string): string => word(value, false);

/** One word of an Exec line (ExecStart=): as unitWord, with $ doubled too so no variable is expanded. */
export const unitExecWord = (value: string): string => word(value, true);

function word(value: string, exec: boolean): string {
  const problem = unitValueProblem(value);
  if (problem) throw new Error(`${problem}: ${JSON.stringify(value)}`);
  const s = exec ? value.replace(/[%$]/g, (c) => c + c) : value.replace(/%/g, "%%");
  return /[\s';]/.test(s) ? `"${s}"` : s;
}
