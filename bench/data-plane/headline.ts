/**
 * The headline of a run for the README and docs/benchmarks.md: one row per system side by side, the issue's
 * targets against this run's numbers, and a chart (SVG) of throughput and memory.
 */
import type { FootprintResult } from './footprint.ts';
import type { CaseResult, PhaseMeasure, RunResults } from './results.ts';

const DASH = '—';

const SYSTEMS: ReadonlyArray<{ id: string; label: string }> = [
  { id: 'direct', label: 'direct call (the mock itself)' },
  { id: 'minimal-forwarder', label: 'bare Node forwarder (node:http + undici)' },
  { id: 'minimal-forwarder-capped', label: "bare Node forwarder, the sidecar's heap flags" },
  { id: 'sidecar', label: 'Switchboard sidecar' },
  { id: 'sidecar-default-heap', label: "Switchboard sidecar, V8's default heap" },
  { id: 'portkey', label: "Portkey's gateway" },
  { id: 'litellm', label: "LiteLLM's proxy" },
];

function fmt(value: number | undefined | null, digits: number): string {
  return value === undefined || value === null || !Number.isFinite(value) ? DASH : value.toFixed(digits);
}

function signedFmt(value: number | undefined | null, digits: number): string {
  const text = fmt(value, digits);
  return text !== DASH && (value as number) >= 0 ? `+${text}` : text;
}

function caseOf(run: RunResults, id: string): CaseResult | undefined {
  const c = run.cases.find((x) => x.id === id);
  return c?.status === 'ok' ? c : undefined;
}

function phase(
  run: RunResults,
  id: string,
  mode: 'chat' | 'stream',
  which: 'saturation' | 'cold' | 'oneConnection',
): PhaseMeasure | undefined {
  const m = caseOf(run, id)?.modes[mode];
  return m?.status === 'ok' ? m[which] : undefined;
}

/** Requests per CPU-second of the system under test: throughput as if it had its core to itself. */
function perCpuSecond(p: PhaseMeasure | undefined): number | undefined {
  if (p === undefined || p.cpuPercent.sut <= 0) return undefined;
  return p.rps / (p.cpuPercent.sut / 100);
}

function footprintOf(run: RunResults, id: string): FootprintResult | undefined {
  return run.footprint?.variants.find((v) => v.id === id);
}

/** Resident memory after the last mode's sustained load (the largest of the modes' readings). */
function rssAfterLoad(run: RunResults, id: string): number | undefined {
  const c = caseOf(run, id);
  const values = Object.values(c?.modes ?? {}).flatMap((m) =>
    m?.rssAfterMiB === undefined ? [] : [m.rssAfterMiB],
  );
  return values.length === 0 ? undefined : Math.max(...values);
}

function minus(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a - b;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '--:'))), ...rows.map(line)].join('\n');
}

interface Headline {
  idleMiB?: number;
  afterLoadMiB?: number;
  readyMs?: number;
  readyCpuMs?: number;
  readyWarmMs?: number;
  vsForwarder?: number;
  coldVsForwarder?: number;
  vsCappedForwarder?: number;
  vsPortkey?: number;
  perCpuVsForwarder?: number;
  perCpuVsPortkey?: number;
  addedP50VsForwarderMs?: number;
}

function sidecarHeadline(run: RunResults): Headline {
  const chat = (id: string) => phase(run, id, 'chat', 'saturation')?.rps;
  const one = (id: string) => phase(run, id, 'chat', 'oneConnection')?.latencyMs?.p50;
  const perCpu = (id: string) => perCpuSecond(phase(run, id, 'chat', 'saturation'));
  return {
    idleMiB: footprintOf(run, 'sidecar')?.idleRssMiB.median,
    afterLoadMiB: rssAfterLoad(run, 'sidecar'),
    readyMs: footprintOf(run, 'sidecar')?.readyMs?.median,
    readyCpuMs: footprintOf(run, 'sidecar')?.readyCpuMs?.median,
    readyWarmMs: footprintOf(run, 'sidecar-warm-cache')?.readyMs?.median,
    vsForwarder: ratio(chat('sidecar'), chat('minimal-forwarder')),
    vsCappedForwarder: ratio(chat('sidecar'), chat('minimal-forwarder-capped')),
    coldVsForwarder: ratio(
      phase(run, 'sidecar', 'chat', 'cold')?.rps,
      phase(run, 'minimal-forwarder', 'chat', 'cold')?.rps,
    ),
    vsPortkey: ratio(chat('sidecar'), chat('portkey')),
    perCpuVsForwarder: ratio(perCpu('sidecar'), perCpu('minimal-forwarder')),
    perCpuVsPortkey: ratio(perCpu('sidecar'), perCpu('portkey')),
    addedP50VsForwarderMs: minus(one('sidecar'), one('minimal-forwarder')),
  };
}

export function renderHeadline(run: RunResults): string {
  const s = run.settings;
  const direct1 = phase(run, 'direct', 'chat', 'oneConnection')?.latencyMs;
  const directTtft = phase(run, 'direct', 'stream', 'oneConnection')?.firstByteMs;
  const rows = SYSTEMS.filter((sys) => run.cases.some((c) => c.id === sys.id)).map((sys) => {
    const c = run.cases.find((x) => x.id === sys.id);
    if (c === undefined || c.status !== 'ok')
      return [
        sys.label,
        `${c?.status ?? 'not run'}: ${(c?.reason ?? '').split('\n')[0]?.slice(0, 120) ?? ''}`,
      ];
    const one = phase(run, sys.id, 'chat', 'oneConnection')?.latencyMs;
    const ttft = phase(run, sys.id, 'stream', 'oneConnection')?.firstByteMs;
    const idle = footprintOf(run, sys.id)?.idleRssMiB.median ?? c.idleRssMiB;
    const ready = footprintOf(run, sys.id)?.readyMs?.median ?? c.readyMs;
    const isDirect = sys.id === 'direct';
    return [
      sys.label,
      isDirect ? DASH : fmt(idle, 0),
      isDirect ? DASH : fmt(rssAfterLoad(run, sys.id), 0),
      isDirect ? DASH : fmt(ready, 0),
      fmt(phase(run, sys.id, 'chat', 'saturation')?.rps, 0),
      fmt(perCpuSecond(phase(run, sys.id, 'chat', 'saturation')), 0),
      fmt(phase(run, sys.id, 'chat', 'cold')?.rps, 0),
      fmt(phase(run, sys.id, 'stream', 'saturation')?.rps, 0),
      isDirect ? fmt(one?.p50, 3) : signedFmt(minus(one?.p50, direct1?.p50), 3),
      isDirect ? fmt(one?.p99, 3) : signedFmt(minus(one?.p99, direct1?.p99), 3),
      isDirect ? fmt(ttft?.p50, 3) : signedFmt(minus(ttft?.p50, directTtft?.p50), 3),
    ];
  });
  const h = sidecarHeadline(run);
  const met = (value: number | undefined, ok: (v: number) => boolean) =>
    value === undefined ? 'not measured' : ok(value) ? 'met' : '**missed**';
  const targets = [
    ['idle RSS ≤ 60 MiB', `${fmt(h.idleMiB, 1)} MiB`, met(h.idleMiB, (v) => v <= 60)],
    [
      'RSS after sustained load ≤ 100 MiB',
      `${fmt(h.afterLoadMiB, 1)} MiB`,
      met(h.afterLoadMiB, (v) => v <= 100),
    ],
    [
      'start → /readyz 200 ≤ 300 ms',
      `${fmt(h.readyMs, 0)} ms wall, ${fmt(h.readyCpuMs, 0)} ms CPU (warm compile cache: ${fmt(h.readyWarmMs, 0)} ms wall)`,
      met(h.readyMs, (v) => v <= 300),
    ],
    [
      `throughput ≥ 0.9 × bare forwarder (chat, ${s.connections} connections)`,
      `${fmt(h.vsForwarder, 2)} × (per CPU-second: ${fmt(h.perCpuVsForwarder, 2)} ×; ` +
        `in the first ${s.durationS} s of load after start: ${fmt(h.coldVsForwarder, 2)} ×; against the ` +
        `forwarder with the sidecar's heap flags: ${fmt(h.vsCappedForwarder, 2)} ×)`,
      met(h.vsForwarder, (v) => v >= 0.9),
    ],
    [
      `throughput ≥ 10 × Portkey's gateway (chat)`,
      `${fmt(h.vsPortkey, 1)} × (per CPU-second: ${fmt(h.perCpuVsPortkey, 1)} ×)`,
      met(h.vsPortkey, (v) => v >= 10),
    ],
    [
      'added p50 at 1 connection ≤ 0.1 ms over the bare forwarder (chat)',
      `${signedFmt(h.addedP50VsForwarderMs, 3)} ms`,
      met(h.addedP50VsForwarderMs, (v) => v <= 0.1),
    ],
  ];
  const rounds = `${s.repeat === 1 ? 'one round' : `median of ${s.repeat} interleaved rounds`}`;
  const startups = run.footprint ? `${run.footprint.rounds} start-ups each (median)` : 'no start-up rounds';
  return [
    `Data plane, ${run.startedAt.slice(0, 10)} (${String(run.environment.cpus)} × ${String(run.environment.cpuModel)}, ` +
      `Node ${String(run.environment.node)}, commit ${String(run.environment.commit)}): each system alone on one core, ` +
      `load on the other, the same fast mock upstream; ${rounds}; ${startups}. RSS in MiB; latencies in ms. ` +
      '"req per CPU-s" divides throughput by the share of its core the system got (on a shared machine other work ' +
      'takes the rest): what one core of its own would serve. Throughput is measured after ' +
      `${s.warmupS} s of the same load (the JIT's work done); "first ${s.durationS} s" is the same load in the ` +
      'first seconds after start. Added latency is over the direct call.',
    '',
    table(
      [
        'system',
        'idle RSS',
        'RSS after load',
        'start → ready ms',
        `chat req/s @${s.connections}`,
        'chat req per CPU-s',
        `chat req/s @${s.connections}, first ${s.durationS} s`,
        `stream req/s @${s.connections}`,
        'added p50 @1 conn',
        'added p99 @1 conn',
        'added TTFT p50',
      ],
      rows,
    ),
    '',
    table(['target (issue 13)', 'this run', ''], targets),
    '',
  ].join('\n');
}

/** Start-up and idle memory of every footprint variant (median, min–max). */
export function renderFootprint(run: RunResults): string {
  const f = run.footprint;
  if (f === undefined) return '';
  const range = (x: { median: number; min: number; max: number } | undefined, digits: number) =>
    x === undefined ? DASH : `${fmt(x.median, digits)} (${fmt(x.min, digits)}–${fmt(x.max, digits)})`;
  return (
    [
      `Start-up and idle footprint: ${f.rounds} start-ups per variant, interleaved, alone on core ` +
        `${run.settings.cores.sut}; RSS read ${f.idleS} s after ready, before any request. Median (min–max).`,
      '',
      table(
        ['variant', 'start → ready ms', 'CPU to ready ms', 'idle RSS MiB', 'failures'],
        f.variants.map((v) => [
          `\`${v.id}\`: ${v.description}`,
          range(v.readyMs, 0),
          range(v.readyCpuMs, 0),
          range(v.idleRssMiB, 1),
          String(v.failures.length),
        ]),
      ),
    ].join('\n') + '\n'
  );
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Two horizontal bar charts: chat throughput at saturation, and idle / after-load memory. */
export function renderChart(run: RunResults): string {
  const systems = SYSTEMS.filter((sys) => caseOf(run, sys.id) !== undefined);
  const labelW = 290;
  const barW = 360;
  const rowH = 22;
  const throughput = systems.map((sys) => ({
    label: sys.label,
    value: phase(run, sys.id, 'chat', 'saturation')?.rps ?? 0,
  }));
  const memory = systems
    .filter((sys) => sys.id !== 'direct')
    .map((sys) => ({
      label: sys.label,
      idle: footprintOf(run, sys.id)?.idleRssMiB.median ?? caseOf(run, sys.id)?.idleRssMiB ?? 0,
      after: rssAfterLoad(run, sys.id) ?? 0,
    }));
  const parts: string[] = [];
  let y = 28;
  const title = (text: string) => {
    parts.push(`<text x="10" y="${y}" font-weight="bold">${escapeXml(text)}</text>`);
    y += 14;
  };
  title(`Chat completions per second at ${run.settings.connections} connections (more is better)`);
  const maxRps = Math.max(1, ...throughput.map((t) => t.value));
  for (const t of throughput) {
    const w = (t.value / maxRps) * barW;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeXml(t.label)}</text>`,
      `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="#3b6ea8"/>`,
      `<text x="${labelW + w + 6}" y="${y + 15}">${t.value.toFixed(0)}</text>`,
    );
    y += rowH;
  }
  y += 24;
  title('Resident memory, MiB: idle (light) and after sustained load (dark) (less is better)');
  const maxMem = Math.max(1, ...memory.flatMap((m) => [m.idle, m.after]));
  for (const m of memory) {
    const wi = (m.idle / maxMem) * barW;
    const wa = (m.after / maxMem) * barW;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeXml(m.label)}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${wi.toFixed(1)}" height="${(rowH - 6) / 2}" fill="#9cc3e6"/>`,
      `<rect x="${labelW}" y="${y + 3 + (rowH - 6) / 2}" width="${wa.toFixed(1)}" height="${(rowH - 6) / 2}" fill="#1f4e79"/>`,
      `<text x="${labelW + Math.max(wi, wa) + 6}" y="${y + 15}">${m.idle.toFixed(0)} / ${m.after.toFixed(0)}</text>`,
    );
    y += rowH;
  }
  y += 10;
  parts.push(
    `<text x="10" y="${y + 10}" font-size="11" fill="#555">${escapeXml(
      `npm run bench, ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${String(run.environment.commit)}; bench/results/data-plane-latest.json`,
    )}</text>`,
  );
  const height = y + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + barW + 90}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
