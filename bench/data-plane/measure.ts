/** One case, measured: start it, probe it, drive load through it mode by mode, read its CPU and memory. */
import { join } from 'node:path';
import type { BenchCase, CaseContext, RunningCase } from './cases.ts';
import type { LoadConfig, LoadEvent, LoadPhase, PhaseResult } from './load-generator.ts';
import { CpuMeter, memory } from './proc-stats.ts';
import type { ProcessGroup } from './process-group.ts';
import type { CaseResult, Mode, ModeResult, PhaseMeasure, Settings } from './results.ts';

const HERE = import.meta.dirname;

export const REQUEST_BODY: Record<Mode, string> = {
  chat: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Say hello.' }] }),
  stream: JSON.stringify({
    model: 'chat',
    messages: [{ role: 'user', content: 'Say hello.' }],
    stream: true,
  }),
};

export function progress(message: string): void {
  process.stderr.write(`[data-plane] ${message}\n`);
}

/** One real request before any load, so a case that answers wrongly fails loudly instead of measuring errors. */
async function probe(running: RunningCase, mode: Mode): Promise<string | undefined> {
  try {
    const response = await fetch(`${running.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...running.headers },
      body: REQUEST_BODY[mode],
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== 200) return `probe answered ${response.status}: ${text.slice(0, 300)}`;
    if (mode === 'stream') {
      return text.includes('data: [DONE]') && text.includes('chat.completion.chunk')
        ? undefined
        : `probe stream is not OpenAI SSE: ${text.slice(0, 300)}`;
    }
    const body: unknown = JSON.parse(text);
    const ok =
      typeof body === 'object' &&
      body !== null &&
      'choices' in body &&
      Array.isArray(body.choices) &&
      body.choices.length > 0;
    return ok ? undefined : `probe reply has no choices: ${text.slice(0, 300)}`;
  } catch (error) {
    return `probe failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function isPhaseResult(value: unknown): value is PhaseResult {
  return typeof value === 'object' && value !== null && 'rps' in value && 'latencyMs' in value;
}

/** Runs the load generator through its phases, metering CPU of every process tree over each phase. */
async function drive(
  group: ProcessGroup,
  settings: Settings,
  running: RunningCase,
  mode: Mode,
): Promise<Map<string, PhaseMeasure>> {
  const { connections, rateConnections, durationS, warmupS, rate } = settings;
  const phases: LoadPhase[] = [{ name: 'cold', durationS, connections, rate: null }];
  if (warmupS > 0) phases.push({ name: 'warmup', durationS: warmupS, connections, rate: null });
  phases.push({ name: 'saturation', durationS, connections, rate: null });
  if (rate > 0) phases.push({ name: 'fixed-rate', durationS, connections: rateConnections, rate });
  phases.push({ name: 'one-connection', durationS, connections: 1, rate: null, kind: 'sequential' });
  const config: LoadConfig = {
    url: `${running.baseUrl}/chat/completions`,
    body: REQUEST_BODY[mode],
    headers: { 'content-type': 'application/json', ...running.headers },
    phases,
  };
  const generator = group.spawn({
    name: 'load generator',
    core: settings.cores.load,
    command: process.execPath,
    args: [join(HERE, 'load-generator.ts'), `--config=${JSON.stringify(config)}`],
  });
  const roots = new Map<string, number>([
    ['sut', running.sut.pid],
    ['loadGenerator', generator.pid],
  ]);
  if (running.upstream !== running.sut) roots.set('upstream', running.upstream.pid);
  const { sut: sutCore, load: loadCore } = settings.cores;
  const meter = new CpuMeter(roots, [sutCore, loadCore]);
  const measured = new Map<string, PhaseMeasure>();
  try {
    for (const phase of phases) {
      const timeoutMs = (phase.durationS + 30) * 1000;
      const started = (await generator.nextJson(timeoutMs)) as LoadEvent;
      if (started.event !== 'phase-start' || started.phase !== phase.name) {
        throw new Error(
          `load generator: expected the start of ${phase.name}, got ${JSON.stringify(started)}`,
        );
      }
      meter.start();
      const ended = (await generator.nextJson(timeoutMs)) as LoadEvent;
      const { processes: cpu, cores } = meter.stop();
      if (ended.event !== 'phase-end' || !isPhaseResult(ended.result)) {
        throw new Error(`load generator: expected the result of ${phase.name}, got ${JSON.stringify(ended)}`);
      }
      progress(
        `  ${mode} ${phase.name} (${phase.connections} conn${phase.rate === null ? '' : `, ${phase.rate} req/s`}): ` +
          `${ended.result.rps.toFixed(0)} req/s, p50 ${ended.result.latencyMs?.p50.toFixed(3) ?? '-'} ms, ` +
          `p99 ${ended.result.latencyMs?.p99.toFixed(3) ?? '-'} ms, ` +
          (ended.result.firstByteMs ? `first byte p50 ${ended.result.firstByteMs.p50.toFixed(3)} ms, ` : '') +
          `CPU SUT ${(cpu.sut ?? 0).toFixed(0)}% ` +
          `load gen ${(cpu.loadGenerator ?? 0).toFixed(0)}% upstream ${(cpu.upstream ?? 0).toFixed(0)}%, ` +
          `cores ${sutCore}/${loadCore} busy ${(cores[sutCore] ?? 0).toFixed(0)}%/${(cores[loadCore] ?? 0).toFixed(0)}%`,
      );
      const sut = cpu.sut ?? 0;
      const loadGenerator = cpu.loadGenerator ?? 0;
      const upstream = cpu.upstream ?? null;
      measured.set(phase.name, {
        ...ended.result,
        cpuPercent: { sut, upstream, loadGenerator },
        otherCpuPercent: {
          sutCore: Math.max(0, (cores[sutCore] ?? 0) - sut),
          loadCore: Math.max(0, (cores[loadCore] ?? 0) - loadGenerator - (upstream ?? 0)),
        },
      });
    }
  } finally {
    await group.stop(generator);
  }
  return measured;
}

async function measureMode(
  group: ProcessGroup,
  settings: Settings,
  running: RunningCase,
  mode: Mode,
): Promise<ModeResult> {
  const problem = await probe(running, mode);
  if (problem !== undefined) {
    const said = running.sut.complaint;
    return { status: 'failed', reason: said === '' ? problem : `${problem}; its stderr: ${said}` };
  }
  try {
    const phases = await drive(group, settings, running, mode);
    const after = memory(running.sut.pid);
    const saturation = phases.get('saturation');
    const cold = phases.get('cold');
    const fixedRate = phases.get('fixed-rate');
    const oneConnection = phases.get('one-connection');
    return {
      status: saturation !== undefined && saturation.ok > 0 ? 'ok' : 'failed',
      ...(saturation !== undefined && saturation.ok > 0 ? {} : { reason: 'no successful answer under load' }),
      ...(saturation === undefined ? {} : { saturation }),
      ...(cold === undefined ? {} : { cold }),
      ...(fixedRate === undefined ? {} : { fixedRate }),
      ...(oneConnection === undefined ? {} : { oneConnection }),
      rssAfterMiB: after.rssMiB,
      peakRssMiB: after.peakRssMiB,
    };
  } catch (error) {
    return { status: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
}

export async function runCase(
  benchCase: BenchCase,
  context: CaseContext,
  settings: Settings,
): Promise<CaseResult> {
  progress(`${benchCase.id}: starting`);
  const base = { id: benchCase.id, description: benchCase.description };
  try {
    const running = await benchCase.start(context);
    // Settle once: first requests compile code paths; then read memory before any load.
    await probe(running, 'chat');
    const idleRssMiB = memory(running.sut.pid).rssMiB;
    const modes: Partial<Record<Mode, ModeResult>> = {};
    for (const mode of settings.modes) {
      modes[mode] = await measureMode(context.group, settings, running, mode);
      if (modes[mode]?.status === 'failed') progress(`  ${mode} failed: ${modes[mode]?.reason ?? ''}`);
    }
    return {
      ...base,
      status: 'ok',
      idleRssMiB,
      ...(running.readyMs === undefined ? {} : { readyMs: running.readyMs }),
      modes,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    progress(`${benchCase.id}: failed: ${reason}`);
    return { ...base, status: 'failed', reason, modes: {} };
  } finally {
    await context.group.stopAll();
  }
}
