// A client's view of a failover (pure): the probe's answers in time order become runs of "who
// answered" and the gaps between them, the figures `lvsctl lab failover` prints.
export interface ProbeAnswer {
  /** ms since the probe started */
  t: number;
  /** the real server's name, or undefined when the request failed */
  who?: string;
  error?: string;
}

export interface Run {
  from: number;
  to: number;
  /** answered, or failed */
  ok: boolean;
  requests: number;
  /** answers per real server (ok runs) or per error (failed runs) */
  by: Record<string, number>;
}

export interface Timeline {
  runs: Run[];
  /** the longest time between two answered requests, ms: what a client lost in the failover */
  longestGapMs: number;
  failed: number;
  answered: number;
}

/** Consecutive requests grouped into answered and failed runs. */
export function timeline(answers: ProbeAnswer[]): Timeline {
  const runs: Run[] = [];
  let longestGapMs = 0;
  let lastOk: number | undefined;
  for (const a of answers) {
    const ok = a.who !== undefined;
    const key = a.who ?? a.error ?? "error";
    let cur = runs.at(-1);
    if (!cur || cur.ok !== ok) runs.push((cur = { from: a.t, to: a.t, ok, requests: 0, by: {} }));
    cur.to = a.t;
    cur.requests++;
    cur.by[key] = (cur.by[key] ?? 0) + 1;
    if (ok) {
      if (lastOk !== undefined) longestGapMs = Math.max(longestGapMs, a.t - lastOk);
      lastOk = a.t;
    }
  }
  const answered = answers.filter((a) => a.who !== undefined).length;
  return { runs, longestGapMs, failed: answers.length - answered, answered };
}

/** Requests per real server, for the balance lab up shows. */
export function countByServer(answers: ProbeAnswer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) if (a.who) out[a.who] = (out[a.who] ?? 0) + 1;
  return out;
}
