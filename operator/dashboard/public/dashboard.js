// The dashboard page: renders the state the operator pushes over SSE (/api/events), keeps charts over time, and
// sends the controls' changes (strategy, weights, faults) as JSON. Plain browser ES module, no build step.
import { PoolCharts, colorOf } from './charts.js';

/** The strategies a pool may choose, as the operator lists them (from the API's schema). */
let strategies = [];

const statusLine = document.getElementById('status');
const poolsRoot = document.getElementById('pools');
/** Per pool key: its DOM, charts and the provider list it was built for. */
const rendered = new Map();
let readOnly = true;
/** When the state shown was made (epoch ms): cool-downs count down from it. */
let stateAt = 0;

const dash = '—';
const num = (v, digits, unit) => (v == null ? dash : `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`);
const pct = (v) => (v == null ? dash : `${(v * 100).toFixed(1)} %`);

/** Each column: header, field, how to format the value. */
const COLUMNS = [
  {
    title: 'State',
    field: 'state',
    text: true,
    format: (p) => [p.state, ...coolingNotes(p)].join(', '),
  },
  { title: 'Weight (spec)', field: 'weight', format: (p) => num(p.weight, 2) },
  { title: 'Effective weight', field: 'effectiveWeight', format: (p) => num(p.effectiveWeight, 2) },
  { title: 'Traffic share', field: 'trafficShare', format: (p) => pct(p.trafficShare) },
  { title: 'Requests', field: 'requestRate', format: (p) => num(p.requestRate, 2, 'req/s') },
  { title: 'Latency p50', field: 'latencyP50Ms', format: (p) => num(p.latencyP50Ms, 0, 'ms') },
  { title: 'Latency p95', field: 'latencyP95Ms', format: (p) => num(p.latencyP95Ms, 0, 'ms') },
  { title: 'TTFT p50', field: 'timeToFirstTokenP50Ms', format: (p) => num(p.timeToFirstTokenP50Ms, 0, 'ms') },
  { title: 'Errors', field: 'errorRate', format: (p) => pct(p.errorRate) },
  { title: '429s', field: 'rateLimitedRate', format: (p) => pct(p.rateLimitedRate) },
  {
    title: 'Breakers open (sidecars)',
    field: 'breakersOpen',
    format: (p, pool) =>
      p.breakersOpen == null ? dash : `${p.breakersOpen} of ${pool.sidecars?.length ?? 0}`,
  },
  { title: 'Spend', field: 'costPerHourUSD', format: (p) => num(p.costPerHourUSD, 3, 'USD/h') },
];

const secondsLeft = (until) => Math.ceil((until - stateAt) / 1000);

/** The provider's cool-down and those of its models alone, still running when the state was made. */
function coolingNotes(p) {
  const notes = [];
  if (p.coolingDownUntil != null && p.coolingDownUntil > stateAt)
    notes.push(`cooling down ${secondsLeft(p.coolingDownUntil)} s`);
  for (const { model, until } of p.coolingModels ?? []) {
    if (until == null) notes.push(`model ${model} cooling down`);
    else if (until > stateAt) notes.push(`model ${model} cooling down ${secondsLeft(until)} s`);
  }
  return notes;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

const keyOf = (pool) => `${pool.namespace}/${pool.name}`;
const idOf = (pool) => `${pool.namespace}-${pool.name}`.replace(/[^A-Za-z0-9_-]/g, '_');

async function send(path, body) {
  statusLine.textContent = 'Sending…';
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await res.json();
    statusLine.textContent = res.ok ? `Done: ${answer.message}` : `Refused: ${answer.error}`;
  } catch (err) {
    statusLine.textContent = `Not sent: ${err.message}`;
  }
}

function buildPool(pool) {
  const id = idOf(pool);
  const section = el('section', {
    class: 'pool',
    'aria-labelledby': `${id}-title`,
    'data-pool': keyOf(pool),
  });
  section.append(el('h2', { id: `${id}-title`, text: `Pool ${keyOf(pool)}` }));
  const summary = el('p', { class: 'summary' });
  const conditions = el('ul', { class: 'conditions', 'aria-label': 'Conditions' });
  section.append(summary, conditions);

  const head = el('tr', {}, el('th', { scope: 'col', text: 'Provider' }));
  for (const c of COLUMNS)
    head.append(el('th', { scope: 'col', class: c.text ? 'text' : undefined, text: c.title }));
  const body = el('tbody');
  const cells = new Map();
  pool.providers.forEach((p, i) => {
    const row = el('tr', { 'data-provider': p.name });
    const swatch = el('span', { 'aria-hidden': 'true', style: `color:${colorOf(i)}`, text: '■ ' });
    row.append(
      el('th', { scope: 'row' }, swatch, `${p.name} `, el('span', { class: 'muted', text: `(${p.type})` })),
    );
    const byField = new Map();
    for (const c of COLUMNS) {
      const td = el('td', { 'data-field': c.field, class: c.text ? 'text' : undefined });
      byField.set(c.field, td);
      row.append(td);
    }
    cells.set(p.name, byField);
    body.append(row);
  });
  section.append(
    el('h3', { text: 'Providers' }),
    el(
      'div',
      { class: 'table-wrap' },
      el('table', { 'aria-label': `Providers of ${keyOf(pool)}` }, el('thead', {}, head), body),
    ),
  );

  const controls = el('div', { class: 'controls' });
  const strategyForm = el('form', { 'aria-label': 'Strategy' });
  const select = el('select', { name: 'strategy', id: `${id}-strategy` });
  for (const s of strategies) select.append(el('option', { value: s, text: s }));
  strategyForm.append(
    el('label', { for: `${id}-strategy` }, 'Strategy', select),
    el('button', { type: 'submit', text: 'Apply strategy' }),
  );
  strategyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    send(`api/pools/${encodeURIComponent(pool.namespace)}/${encodeURIComponent(pool.name)}/strategy`, {
      type: select.value,
    });
  });
  const weightsForm = el('form', { 'aria-label': 'Weights' });
  const inputs = new Map();
  for (const p of pool.providers) {
    const input = el('input', { type: 'number', min: 0, step: 0.1, name: p.name, value: p.weight });
    inputs.set(p.name, input);
    weightsForm.append(el('label', {}, `Weight of ${p.name}`, input));
  }
  weightsForm.append(el('button', { type: 'submit', text: 'Apply weights' }));
  weightsForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const weights = Object.fromEntries([...inputs].map(([name, input]) => [name, Number(input.value)]));
    send(`api/pools/${encodeURIComponent(pool.namespace)}/${encodeURIComponent(pool.name)}/weights`, {
      weights,
    });
  });
  controls.append(strategyForm, weightsForm);
  controls.hidden = readOnly;
  section.append(el('h3', { text: 'Controls' }), controls);

  const sidecars = el('ul', { class: 'sidecars' });
  section.append(el('h3', { text: 'Sidecars' }), sidecars);
  const charts = el('div', { class: 'charts' });
  section.append(el('h3', { text: 'Over the last 5 minutes' }), charts);
  poolsRoot.append(section);
  return {
    section,
    summary,
    conditions,
    cells,
    select,
    inputs,
    controls,
    sidecars,
    signature: pool.providers.map((p) => p.name).join(','),
    charts: new PoolCharts(
      charts,
      pool.providers.map((p) => p.name),
    ),
  };
}

function updatePool(view, pool, at) {
  view.controls.hidden = readOnly;
  const connected = pool.sidecarCounts;
  view.summary.textContent =
    `Strategy ${pool.strategy ?? dash} · configuration ${pool.configVersion ?? dash} · sidecars: ` +
    `${connected.connected} connected, ${connected.reporting} reporting, ${connected.onCurrentVersion} on the current version` +
    (pool.panic ? ' · PANIC: every provider is down, sidecars route to the least bad' : '');
  view.conditions.replaceChildren(
    ...pool.conditions.map((c) =>
      el('li', {
        title: c.message,
        text: `${c.type}: ${c.status} (${c.reason})${c.message ? ` — ${c.message}` : ''}`,
      }),
    ),
  );
  for (const p of pool.providers) {
    const cells = view.cells.get(p.name);
    for (const c of COLUMNS) {
      const td = cells?.get(c.field);
      if (td === undefined) continue;
      td.textContent = c.format(p, pool);
      td.dataset.value = p[c.field] == null ? '' : String(p[c.field]);
      if (c.field === 'state') td.className = `text state-${p.state}`;
    }
    const input = view.inputs.get(p.name);
    if (input && document.activeElement !== input && input.dataset.shown !== String(p.weight)) {
      input.value = String(p.weight);
      input.dataset.shown = String(p.weight);
    }
  }
  if (
    document.activeElement !== view.select &&
    pool.strategy &&
    view.select.dataset.shown !== pool.strategy
  ) {
    view.select.value = pool.strategy;
    view.select.dataset.shown = pool.strategy;
  }
  view.sidecars.replaceChildren(
    ...(pool.sidecars ?? []).map((s) =>
      el('li', {
        text: `${s.id}: ${s.connected ? 'connected' : 'disconnected'}, runs configuration ${s.appliedVersion ?? dash}${s.nack ? `, refused ${s.nack}` : ''}`,
      }),
    ),
  );
  if (pool.sidecars === null)
    view.sidecars.replaceChildren(
      el('li', { text: `${connected.connected} connected (counts from the pool's status)` }),
    );
  view.charts.push(at, pool);
}

function updateFaults(targets) {
  const section = document.getElementById('faults');
  section.hidden = readOnly || targets.length === 0;
  const select = document.getElementById('fault-target');
  const current = [...select.options].map((o) => o.value).join(',');
  if (current !== targets.join(','))
    select.replaceChildren(...targets.map((t) => el('option', { value: t, text: t })));
}

function render(state) {
  readOnly = state.readOnly;
  strategies = state.strategies;
  stateAt = state.at;
  const seen = new Set();
  for (const pool of state.pools) {
    const key = keyOf(pool);
    seen.add(key);
    let view = rendered.get(key);
    if (view && view.signature !== pool.providers.map((p) => p.name).join(',')) {
      view.charts.destroy();
      view.section.remove();
      view = undefined;
    }
    if (view === undefined) {
      view = buildPool(pool);
      rendered.set(key, view);
    }
    updatePool(view, pool, state.at);
  }
  for (const [key, view] of rendered) {
    if (seen.has(key)) continue;
    view.charts.destroy();
    view.section.remove();
    rendered.delete(key);
  }
  if (state.pools.length === 0) poolsRoot.replaceChildren(el('p', { text: 'No ProviderPools yet.' }));
  poolsRoot.setAttribute('aria-busy', 'false');
  updateFaults(state.faultTargets);
}

document.getElementById('fault-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const target = document.getElementById('fault-target').value;
  send(`api/faults/${encodeURIComponent(target)}`, { fault: document.getElementById('fault-kind').value });
});

let lastUpdate = '';
const events = new EventSource('api/events');
events.addEventListener('state', (event) => {
  render(JSON.parse(event.data));
  const text = `Live${readOnly ? ' (read-only)' : ''} · updated ${new Date().toLocaleTimeString()}`;
  // Only announce changes of kind, not every second's clock (aria-live would read each update aloud).
  if (!statusLine.textContent.startsWith('Done') && !statusLine.textContent.startsWith('Refused')) {
    const kind = text.split(' · ')[0];
    if (kind !== lastUpdate) statusLine.textContent = kind;
    lastUpdate = kind;
  }
  document.body.dataset.updatedAt = text;
});
events.addEventListener('problem', (event) => {
  statusLine.textContent = `The server could not read the state: ${JSON.parse(event.data).message}`;
});
events.addEventListener('error', () => {
  statusLine.textContent = 'Connection lost; reconnecting…';
  lastUpdate = '';
});
