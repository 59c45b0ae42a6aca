import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { MissFigures } from '../cache-miss';
import type { GroupMemory, LoadFigures } from './measure';
import { COMPARISON_ROUNDS, CONNECTIONS, MEASURE_S, quick, root, WARMUP_S } from './settings';

// The run's table, its goals as met or missed, and the JSON written beside them.

export interface Row {
  scenario: string;
  figures: LoadFigures;
}

export interface Comparison {
  baseline: { commit: string; runs: LoadFigures[] };
  current: { commit: string; runs: LoadFigures[] };
}

/** What a run measured. */
export interface Results {
  rows: Row[];
  starts: { what: string; ms: number }[];
  misses: MissFigures | undefined;
  comparison: Comparison | undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The comparison's lines: each run, then medians and the ratios current/baseline. */
function comparisonLines(c: Comparison): string[] {
  const each = (runs: LoadFigures[]) => runs.map((r) => `${fmt(r.reqPerSec)} req/s, ${fmt(r.cpuUsPerReq)} us/req, p99 ${fmt(r.p99)} ms`).join('; ');
  const m = (which: 'baseline' | 'current', key: 'reqPerSec' | 'cpuUsPerReq' | 'p50' | 'p99' | 'rssPeakMb') => median(c[which].runs.map((r) => r[key]));
  return [
    `before/after, scenario 2, ${COMPARISON_ROUNDS} alternating rounds in this run: baseline ${c.baseline.commit}: ${each(c.baseline.runs)}`,
    `before/after: current ${c.current.commit}: ${each(c.current.runs)}`,
    `before/after, medians: req/s ${fmt(m('baseline', 'reqPerSec'))} -> ${fmt(m('current', 'reqPerSec'))} (${fmt(m('current', 'reqPerSec') / m('baseline', 'reqPerSec'), 2)}x); ` +
      `CPU us/req ${fmt(m('baseline', 'cpuUsPerReq'))} -> ${fmt(m('current', 'cpuUsPerReq'))} (${fmt(m('current', 'cpuUsPerReq') / m('baseline', 'cpuUsPerReq'), 2)}x); ` +
      `p50 ${fmt(m('baseline', 'p50'))} -> ${fmt(m('current', 'p50'))} ms; p99 ${fmt(m('baseline', 'p99'))} -> ${fmt(m('current', 'p99'))} ms; ` +
      `RSS peak ${fmt(m('baseline', 'rssPeakMb'))} -> ${fmt(m('current', 'rssPeakMb'))} MB`,
  ];
}

/** The commit measured, marked when server/ or shared/ differ from it (what the bundle was built from). */
export function revision(checkout = root): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: checkout, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'server', 'shared'], { cwd: checkout, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + uncommitted changes in server/ or shared/` : head;
  } catch {
    return 'unknown';
  }
}

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function report({ rows, starts, misses, comparison }: Results) {
  const header = [
    'scenario',
    'req/s',
    'CPU us/req',
    'p50 ms',
    'p99 ms',
    'errors',
    'RSS idle MB',
    'RSS peak under load MB',
    'RSS after MB',
    'PSS idle MB, MREG + PostgreSQL',
    'PSS peak under load MB, MREG + PostgreSQL',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    fmt(r.figures.reqPerSec),
    fmt(r.figures.cpuUsPerReq),
    fmt(r.figures.p50, 2),
    fmt(r.figures.p99, 2),
    String(r.figures.errors + r.figures.non2xx),
    fmt(r.figures.rssIdleMb),
    fmt(r.figures.rssPeakMb),
    fmt(r.figures.rssAfterMb),
    fmt(r.figures.group?.idle.totalMb ?? NaN),
    fmt(r.figures.group?.peak.totalMb ?? NaN),
  ]);
  const md = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)];
  const find = (prefix: string) => rows.find((r) => r.scenario.startsWith(prefix))?.figures;
  const ceiling = find('1.');
  const mreg = find('2.');
  const embedded = find('3.');
  const peer = find('4.');
  const floor = find('6.');
  const goals: string[] = [];
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : NaN);
  const vsCeiling = ratio(mreg?.reqPerSec, ceiling?.reqPerSec);
  const cpuVsCeiling = ratio(mreg?.cpuUsPerReq, ceiling?.cpuUsPerReq);
  const vsFloor = ratio(mreg?.reqPerSec, floor?.reqPerSec);
  const cpuVsFloor = ratio(mreg?.cpuUsPerReq, floor?.cpuUsPerReq);
  const vsPeer = ratio(mreg?.reqPerSec, peer?.reqPerSec);
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  // A ratio is written only when both of its scenarios ran: a partial run misses no goal it never measured.
  if (mreg && ceiling) goals.push(`MREG/ceiling ${fmt(vsCeiling, 2)}x req/s (goal >= 0.6x): ${verdict(vsCeiling >= 0.6)}; ${fmt(cpuVsCeiling, 2)}x CPU us/req (no goal)`);
  if (mreg && floor) {
    goals.push(
      `MREG/floor ${fmt(vsFloor, 2)}x req/s (goal >= 0.95x): ${verdict(vsFloor >= 0.95)}; ${fmt(cpuVsFloor, 2)}x CPU us/req (goal <= 1.1x): ${verdict(cpuVsFloor <= 1.1)}`,
    );
  }
  if (mreg && peer) goals.push(`MREG/peer ${fmt(vsPeer, 2)}x (goal >= 4x): ${verdict(vsPeer >= 4)}`);
  if (embedded) {
    const against = [
      ceiling && `embedded MREG/ceiling ${fmt(ratio(embedded.reqPerSec, ceiling.reqPerSec), 2)}x`,
      floor && `embedded MREG/floor ${fmt(ratio(embedded.reqPerSec, floor.reqPerSec), 2)}x req/s, ${fmt(ratio(embedded.cpuUsPerReq, floor.cpuUsPerReq), 2)}x CPU us/req`,
      peer && `embedded MREG/peer ${fmt(ratio(embedded.reqPerSec, peer.reqPerSec), 2)}x`,
    ].filter(Boolean);
    if (against.length) goals.push(`${against.join(', ')} (no goal)`);
  }
  if (mreg) goals.push(`MREG p99 ${fmt(mreg.p99, 2)} ms (goal < 20 ms): ${verdict(mreg.p99 < 20)}`);
  if (misses) {
    const r = misses.large.p50 / misses.small.p50;
    goals.push(
      `cache-miss lookup, ${misses.smallRows} sessions: p50 ${fmt(misses.small.p50)} us, p99 ${fmt(misses.small.p99)} us; ${misses.largeRows} sessions: p50 ${fmt(misses.large.p50)} us, p99 ${fmt(misses.large.p99)} us; ` +
        `ratio ${fmt(r, 2)}x p50, ${fmt(misses.large.p99 / misses.small.p99, 2)}x p99 (goal <= 1.2x p50): ${verdict(r <= 1.2)}${quick ? ' (quick run: not 1M rows)' : ''}`,
    );
  }
  if (mreg) goals.push(`MREG RSS under load, PostgreSQL + Redis: ${fmt(mreg.rssPeakMb)} MB (goal <= 220 MB): ${verdict(mreg.rssPeakMb <= 220)}`);
  if (embedded) goals.push(`MREG RSS under load, embedded (MREG's process alone): ${fmt(embedded.rssPeakMb)} MB (no goal of its own: see the PSS of MREG with its PostgreSQL)`);
  if (embedded?.group) {
    const parts = (m: GroupMemory) => `MREG ${fmt(m.totalMb - m.postgresMb)} + PostgreSQL ${fmt(m.postgresMb)} MB in ${m.postgresProcesses} processes`;
    const { idle, peak } = embedded.group;
    goals.push(`embedded MREG + its PostgreSQL, PSS idle after start: ${fmt(idle.totalMb)} MB (${parts(idle)}) (goal <= 250 MB): ${verdict(idle.totalMb <= 250)}`);
    goals.push(`embedded MREG + its PostgreSQL, PSS peak under load: ${fmt(peak.totalMb)} MB (${parts(peak)}) (goal <= 350 MB): ${verdict(peak.totalMb <= 350)}`);
  }
  for (const s of starts) goals.push(`start to ready, ${s.what}: ${fmt(s.ms)} ms`);
  if (comparison) goals.push(...comparisonLines(comparison));
  for (const row of rows.filter((r) => r.figures.counters)) {
    const moved = Object.entries(row.figures.counters!).map(([name, delta]) => `${name} +${delta}`);
    goals.push(
      `/metrics over the measured window of scenario ${row.scenario.split('.')[0]} (autocannon counted ${row.figures.requests} answers): ${moved.length ? moved.join(', ') : 'no counter moved'}`,
    );
  }
  const table = md.join('\n');
  const json = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    quick,
    commit: revision(),
    settings: { connections: CONNECTIONS, warmupSeconds: WARMUP_S, measuredSeconds: MEASURE_S },
    scenarios: rows,
    // NaN (a scenario not run) is written as null.
    ratios: { mregOverCeiling: vsCeiling, mregOverCeilingCpu: cpuVsCeiling, mregOverFloor: vsFloor, mregOverFloorCpu: cpuVsFloor, mregOverPeer: vsPeer },
    cacheMiss: misses,
    startToReadyMs: starts,
    comparison,
  };
  return { table, goals, json };
}
