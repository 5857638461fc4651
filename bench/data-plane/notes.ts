/** Plain-language caveats for a run: what failed, what was disturbed, what the columns mean. */
import type { CaseResult, Settings } from './results.ts';

export function notesFor(cases: readonly CaseResult[], settings: Settings): string[] {
  const notes: string[] = [];
  for (const c of cases) {
    if (c.status !== 'ok') notes.push(`${c.id}: ${c.status}: ${c.reason ?? ''}`);
    for (const mode of settings.modes) {
      const result = c.modes[mode];
      if (!result) continue;
      if (result.status !== 'ok') {
        notes.push(`${c.id} ${mode}: failed: ${result.reason ?? ''}`);
        continue;
      }
      const s = result.saturation;
      if (s) {
        const loadCore = s.cpuPercent.loadGenerator + (s.cpuPercent.upstream ?? 0);
        if (loadCore > 90 && s.cpuPercent.sut < 90) {
          notes.push(
            `${c.id} ${mode}: the load core was busy (${loadCore.toFixed(0)}%) while the system under test used ` +
              `${s.cpuPercent.sut.toFixed(0)}% of its core, so its saturation throughput is a lower bound.`,
          );
        }
      }
      if (s && s.otherCpuPercent.sutCore > 10) {
        notes.push(
          `${c.id} ${mode}: other work used ${s.otherCpuPercent.sutCore.toFixed(0)}% of the system-under-test ` +
            'core during the reported saturation phase; its throughput is understated.',
        );
      }
      if (result.okRounds !== undefined && c.rounds !== undefined && result.okRounds < c.rounds) {
        notes.push(`${c.id} ${mode}: measured in ${result.okRounds} of ${c.rounds} rounds.`);
      }
      const r = result.fixedRate;
      if (r && r.rps < settings.rate * 0.95) {
        notes.push(
          `${c.id} ${mode}: did not keep up with ${settings.rate} req/s (${r.rps.toFixed(0)} req/s), so its ` +
            'latency at the fixed rate is mostly queueing.',
        );
      }
    }
  }
  const atRate = cases.flatMap((c) =>
    settings.modes.flatMap((m) => {
      const other = c.modes[m]?.fixedRate?.otherCpuPercent.sutCore;
      return other === undefined ? [] : [other];
    }),
  );
  if (atRate.length > 0 && Math.max(...atRate) > 10) {
    notes.push(
      `During the fixed-rate phases other work filled up to ${Math.max(...atRate).toFixed(0)}% of the ` +
        'system-under-test core (idle time at that load); the benchmark processes ran ahead of it by niceness, ' +
        'but its cache and scheduling noise shows mostly in the p99 columns.',
    );
  }
  notes.push(
    'direct is the only case where the upstream mock is itself the system under test (alone on its core); in the ' +
      'others it shares the load core with the load generator, so compare proxies with minimal-forwarder first.',
  );
  notes.push(
    'Latency at the fixed rate is as seen by autocannon (no coordinated-omission correction); at saturation it is ' +
      'mostly queueing (connections ÷ throughput), so the fixed-rate columns are the per-request overhead.',
  );
  return notes;
}
