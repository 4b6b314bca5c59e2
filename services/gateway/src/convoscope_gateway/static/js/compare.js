// "Assistants and models": the comparison and usage-estimate sections of the dashboard.
import { PALETTE, barChart, chartCard, lineChart } from './charts.js';
import { num } from './dom.js';

const rowLabel = (g) => (g.model ? g.model : `${g.vendor} (all)`);
const fixed = (x, d = 1) => (x === null || x === undefined ? '–' : x.toFixed(d));

/** Chart cards comparing vendors and models, and the usage estimate (tokens, cost). */
export function compareCards(r, onDrill) {
  const c = r.comparison;
  const out = [];
  if (!c || !c.vendors.length) return out;
  const groups = [...c.vendors, ...c.models];
  const rows = groups.map((g) => ({
    label: rowLabel(g),
    values: [
      g.replies, fixed(g.mean_reply_words, 0),
      c.quality_measured ? fixed(g.failures_per_100_replies) : '–',
      c.quality_measured ? num(g.refusals) : '–',
      num(g.replies_with_tools), fixed(g.next_turn_sentiment, 2),
      c.quality_measured ? num(g.task_completion.completed || 0) : '–',
    ],
  }));
  const vendors = c.vendors.map((g) => g.vendor).join(' and ');
  out.push(chartCard({
    id: 'compare-models', title: 'Assistants and models side by side', wide: true,
    takeaway: c.vendors.length > 1
      ? `Replies of ${vendors}: each vendor, then each model (a model switch inside a conversation counts for each model).`
      : `Replies of ${vendors}, overall and per model.`,
    columns: ['Vendor / model', 'Replies', 'Words per reply', 'Failures per 100', 'Refusals', 'With tools', 'Mood of next message', 'Completed'],
    rows,
    build: () => barChart({
      categories: c.models.map(rowLabel),
      values: c.models.map((g) => g.failures_per_100_replies),
      name: 'failures per 100 replies',
      colors: c.models.map((_, i) => PALETTE[i % PALETTE.length]),
      drills: c.models.map(() => null),
    }),
    onDrill,
  }));
  const months = [...new Set(c.monthly.map((g) => g.month))].sort();
  const monthlyVendors = c.vendors.map((v, i) => ({
    name: v.vendor,
    color: PALETTE[i % PALETTE.length],
    values: months.map((m) => {
      const g = c.monthly.find((x) => x.month === m && x.vendor === v.vendor && !x.model);
      return g ? g.replies : 0;
    }),
  }));
  out.push(chartCard({
    id: 'compare-months', title: 'Replies by month and vendor', wide: true,
    takeaway: `${months.length} month${months.length === 1 ? '' : 's'}${c.change_points_dates.length ? `; activity changed around ${c.change_points_dates.join(', ')}` : ''}.`,
    columns: ['Month', ...monthlyVendors.map((s) => s.name)],
    rows: months.map((m, i) => ({ label: m, values: monthlyVendors.map((s) => s.values[i]) })),
    build: () => ({ ...lineChart({ categories: months, series: monthlyVendors, drills: () => null }), drill: () => null }),
    onDrill,
  }));
  const u = r.usage;
  if (u) {
    const models = Object.entries(u.by_model);
    const cost = (cell) => (cell.estimated_cost === null || cell.estimated_cost === undefined ? '–' : `${cell.estimated_cost.toFixed(2)} ${u.currency || ''}`);
    out.push(chartCard({
      id: 'usage-estimate', title: 'Usage estimate (tokens, approximate)', wide: true,
      takeaway: `About ${num(u.total.input_tokens + u.total.output_tokens)} tokens written (an estimate from characters, not a tokenizer's count)${u.currency ? `; estimated cost ${cost(u.total)} at the configured prices` : ''}.`,
      columns: ['Model', 'Messages', 'Est. tokens in', 'Est. tokens out', 'Est. cost'],
      rows: models.map(([m, cell]) => ({ label: m, values: [cell.messages, cell.input_tokens, cell.output_tokens, cost(cell)] })),
      build: () => barChart({
        categories: models.map(([m]) => m),
        values: models.map(([, cell]) => cell.input_tokens + cell.output_tokens),
        name: 'estimated tokens',
        drills: models.map(() => null),
      }),
      onDrill,
    }));
  }
  return out;
}
