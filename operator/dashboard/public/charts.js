// Charts over time with uPlot: one chart per metric and pool, one line per provider; the history lives in the
// browser (the last five minutes), fed by each state the server pushes.
import uPlot from '../vendor/uplot/uPlot.esm.js';

const HISTORY_S = 300;
const COLORS = ['#0969da', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#6e7781'];

export const METRICS = [
  { key: 'effectiveWeight', title: 'Effective weight', unit: '', scale: 1 },
  { key: 'trafficShare', title: 'Traffic share (%)', unit: '%', scale: 100 },
  { key: 'latencyP95Ms', title: 'Latency p95 (ms)', unit: 'ms', scale: 1 },
];

export const colorOf = (index) => COLORS[index % COLORS.length];

/** The charts of one pool: history plus one uPlot per metric. */
export class PoolCharts {
  constructor(container, providers) {
    this.providers = providers;
    this.times = [];
    this.values = METRICS.map(() => providers.map(() => []));
    this.plots = METRICS.map((metric, m) => {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.setAttribute('role', 'img');
      figure.setAttribute(
        'aria-label',
        `${metric.title} per provider over the last 5 minutes; the table has the current values`,
      );
      const caption = document.createElement('figcaption');
      caption.textContent = metric.title;
      figure.append(caption);
      container.append(figure);
      const options = {
        width: Math.max(240, figure.clientWidth || 380),
        height: 180,
        series: [
          { label: 'time' },
          ...providers.map((name, i) => ({
            label: name,
            stroke: colorOf(i),
            width: 2,
            spanGaps: true,
            value: (_u, v) =>
              v == null ? '—' : `${v.toFixed(metric.key === 'effectiveWeight' ? 2 : 0)} ${metric.unit}`,
          })),
        ],
        axes: [
          {
            space: 70,
            values: (_u, splits) =>
              splits.map((t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false })),
          },
          { size: 50 },
        ],
        scales: {
          y: { range: (_u, min, max) => [0, Math.max(max ?? 1, metric.key === 'trafficShare' ? 100 : 1)] },
        },
        legend: { live: false },
      };
      return new uPlot(options, [this.times, ...this.values[m]], figure);
    });
    this.onResize = () => {
      for (const plot of this.plots)
        plot.setSize({ width: Math.max(240, plot.root.parentElement.clientWidth), height: 180 });
    };
    window.addEventListener('resize', this.onResize);
  }

  /** Appends one point per provider from a pool's state. */
  push(at, pool) {
    this.times.push(at / 1000);
    const byName = new Map(pool.providers.map((p) => [p.name, p]));
    METRICS.forEach((metric, m) => {
      this.providers.forEach((name, i) => {
        const value = byName.get(name)?.[metric.key];
        this.values[m][i].push(value == null ? null : value * metric.scale);
      });
    });
    while (this.times.length > 0 && this.times[0] < at / 1000 - HISTORY_S) {
      this.times.shift();
      for (const series of this.values) for (const values of series) values.shift();
    }
    this.plots.forEach((plot, m) => plot.setData([this.times, ...this.values[m]]));
  }

  destroy() {
    window.removeEventListener('resize', this.onResize);
    for (const plot of this.plots) plot.destroy();
  }
}
