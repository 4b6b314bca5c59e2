// Chart definitions (Apache ECharts, vendored) built from the light results document.
// Every chart says its takeaway in words, can be read as a table, and drills down:
// a click on a bar, cell or point (or on a table row, by keyboard) opens the
// conversations behind it.
import { h, num } from './dom.js';

// ECharts (1.1 MB) is loaded on first use, not with the page: the summary cards and the
// chart cards' text and tables are on screen before it is fetched and compiled.
let library = null;
/** Start loading ECharts (once); resolves to the module. */
export function loadCharts() {
  if (!library) library = import('../vendor/echarts/echarts.esm.min.js');
  return library;
}

// Okabe–Ito: distinguishable with the common colour-vision deficiencies.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#999999'];
export const SENTIMENT_COLORS = {
  'Very Negative': '#D55E00', Negative: '#E69F00', Neutral: '#999999', Positive: '#56B4E9', 'Very Positive': '#0072B2',
};
export const SEVERITY_COLORS = { high: '#D55E00', medium: '#E69F00', low: '#56B4E9' };
export const SENTIMENT_ORDER = ['Very Negative', 'Negative', 'Neutral', 'Positive', 'Very Positive'];
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const dark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;
const live = new Set();

function base() {
  const text = dark() ? '#e6edf3' : '#1b1f24';
  const muted = dark() ? '#a2adb9' : '#57606a';
  const line = dark() ? '#30363d' : '#d0d7de';
  return {
    color: PALETTE,
    backgroundColor: 'transparent',
    textStyle: { color: text, fontFamily: 'system-ui, sans-serif' },
    aria: { enabled: true },
    animation: false, // quiet, and the first screen is ready sooner
    // Rich-text tooltips draw inside the canvas: no HTML, nothing for the CSP to refuse.
    tooltip: { renderMode: 'richText', confine: true },
    grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
    legend: { textStyle: { color: muted }, top: 0, type: 'scroll' },
    _axis: { axisLabel: { color: muted }, axisLine: { lineStyle: { color: line } }, splitLine: { lineStyle: { color: line } } },
  };
}

function axis(extra) {
  return { ...base()._axis, ...extra };
}

function option(spec) {
  const b = base();
  delete b._axis;
  return { ...b, ...spec };
}

/** Dispose charts that are no longer on the page. */
export function disposeCharts() {
  for (const chart of live) chart.dispose();
  live.clear();
}

window.addEventListener('resize', () => { for (const chart of live) chart.resize(); });

/**
 * A chart card: title, takeaway, the chart, and its data as a table of buttons.
 * rows: [{label, values: [..], drill}] ; columns: header names of values.
 */
export function chartCard({ id, title, takeaway, build, rows, columns, onDrill, wide = false, tall = false, short = false }) {
  const canvas = h('div', { class: `chart${tall ? ' tall' : ''}${short ? ' short' : ''}`, id: `chart-${id}`, role: 'img', 'aria-label': `${title}: ${takeaway}` });
  // The table is built when it is opened: a long history gives some charts thousands of
  // rows, and building them all up front delayed the first screen by a third of a second.
  const table = () => h('table', { class: 'data-table' },
    h('caption', { class: 'muted' }, `${title} — select a row to see its conversations`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, columns[0]), columns.slice(1).map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
    h('tbody', {}, rows.map((row) => h('tr', {},
      h('th', { scope: 'row' }, row.drill
        ? h('button', { type: 'button', class: 'linklike', onclick: () => onDrill(row.drill, row.label) }, row.label)
        : row.label),
      row.values.map((v) => h('td', { class: 'num' }, typeof v === 'number' ? num(v) : v)),
    ))));
  const wrap = h('div', { class: 'table-wrap' });
  const details = h('details', {
    ontoggle: () => { if (details.open && !wrap.firstChild) wrap.append(table()); },
  }, h('summary', {}, `Data table (${num(rows.length)} rows)`), wrap);
  const card = h('section', { class: `chart-card${wide ? ' wide' : ''}`, 'aria-labelledby': `title-${id}`, dataset: { chart: id } },
    h('h3', { id: `title-${id}` }, title),
    h('p', { class: 'takeaway' }, takeaway),
    canvas,
    details);
  // Drawn once the card is in the document (ECharts measures its container).
  card.draw = async () => {
    if (canvas.chart || canvas.drawing) return;
    if (!rows.length) { canvas.replaceWith(h('p', { class: 'muted' }, 'Nothing to show for this analysis.')); return; }
    canvas.drawing = true;
    const echarts = await loadCharts();
    if (!canvas.isConnected) return; // the page moved on while ECharts loaded
    const chart = echarts.init(canvas, null, { renderer: 'canvas' });
    const spec = build();
    chart.setOption(option(spec.option));
    chart.on('click', (params) => {
      const drill = spec.drill(params);
      if (drill) onDrill(drill.drill, drill.label);
    });
    live.add(chart);
    canvas.chart = chart; // lets a test find a bar's pixel and click it like a person
  };
  return card;
}

// --- builders: each returns {option, drill(params)} -----------------------------------

export function barChart({ categories, values, horizontal = false, colors, name, drills }) {
  const data = values.map((v, i) => (colors ? { value: v, itemStyle: { color: colors[i] } } : v));
  const cat = axis({ type: 'category', data: categories, axisLabel: { ...base()._axis.axisLabel, hideOverlap: true } });
  const val = axis({ type: 'value' });
  return {
    option: {
      tooltip: { ...base().tooltip, trigger: 'item' },
      legend: { show: false },
      grid: { ...base().grid, top: 12 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? { ...cat, inverse: true } : val,
      series: [{ type: 'bar', name, data, barMaxWidth: 56, itemStyle: { color: colors ? undefined : PALETTE[0] } }],
    },
    drill: (p) => drills[p.dataIndex],
  };
}

export function stackedBars({ categories, series, horizontal = false, drills, lineSeries }) {
  const cat = axis({ type: 'category', data: categories });
  const val = axis({ type: 'value' });
  const out = series.map((s) => ({ type: 'bar', stack: 'all', name: s.name, data: s.values, barMaxWidth: 56, itemStyle: { color: s.color } }));
  const yAxes = [horizontal ? { ...cat, inverse: true } : val];
  if (lineSeries) {
    yAxes.push(axis({ type: 'value', min: -1, max: 1, splitLine: { show: false } }));
    out.push({ type: 'line', name: lineSeries.name, data: lineSeries.values, yAxisIndex: 1, itemStyle: { color: lineSeries.color }, symbolSize: 7 });
  }
  return {
    option: {
      tooltip: { ...base().tooltip, trigger: 'item' },
      legend: { ...base().legend, data: out.map((s) => s.name) },
      grid: { ...base().grid, top: 36 },
      xAxis: horizontal ? val : cat,
      yAxis: yAxes.length === 1 ? yAxes[0] : yAxes,
      series: out,
    },
    drill: (p) => drills(p.seriesIndex, p.dataIndex),
  };
}

export function lineChart({ categories, series, drills }) {
  return {
    option: {
      tooltip: { ...base().tooltip, trigger: 'item' },
      legend: { ...base().legend, data: series.map((s) => s.name) },
      grid: { ...base().grid, top: 36 },
      xAxis: axis({ type: 'category', data: categories }),
      yAxis: axis({ type: 'value' }),
      series: series.map((s) => ({ type: 'line', name: s.name, data: s.values, itemStyle: { color: s.color }, symbolSize: 7 })),
    },
    drill: (p) => drills(p.seriesIndex, p.dataIndex),
  };
}

export function heatmapChart({ matrix }) {
  const data = [];
  let max = 0;
  matrix.forEach((hours, weekday) => hours.forEach((count, hour) => {
    data.push([hour, weekday, count]);
    max = Math.max(max, count);
  }));
  const colors = dark() ? ['#171d24', '#56B4E9'] : ['#f3f8fc', '#0072B2'];
  return {
    option: {
      tooltip: { ...base().tooltip, trigger: 'item' },
      legend: { show: false },
      grid: { ...base().grid, top: 8, bottom: 40 },
      xAxis: axis({ type: 'category', data: [...Array(24).keys()].map(String), splitArea: { show: false } }),
      yAxis: axis({ type: 'category', data: WEEKDAYS.map((d) => d.slice(0, 3)), inverse: true }),
      visualMap: { min: 0, max: Math.max(1, max), orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, calculable: false, inRange: { color: colors }, textStyle: { color: dark() ? '#a2adb9' : '#57606a' } },
      series: [{ type: 'heatmap', name: 'messages', data, emphasis: { itemStyle: { borderColor: '#D55E00', borderWidth: 2 } } }],
    },
    drill: (p) => ({ drill: { weekday: String(p.value[1]), hour: String(p.value[0]) }, label: `${WEEKDAYS[p.value[1]]} ${p.value[0]}:00` }),
  };
}

export function calendarChart({ days }) {
  const last = days.length ? days[days.length - 1].date : new Date().toISOString().slice(0, 10);
  const start = new Date(`${last}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 364);
  const from = start.toISOString().slice(0, 10);
  const shown = days.filter((d) => d.date >= from);
  const max = Math.max(1, ...shown.map((d) => d.messages));
  const colors = dark() ? ['#1d2630', '#009E73'] : ['#eef7f3', '#00704f'];
  return {
    option: {
      tooltip: { ...base().tooltip, trigger: 'item' },
      legend: { show: false },
      visualMap: { show: false, min: 0, max, inRange: { color: colors } },
      calendar: {
        range: [from, last], cellSize: ['auto', 13], top: 24, left: 36, right: 8,
        dayLabel: { color: dark() ? '#a2adb9' : '#57606a', firstDay: 1 },
        monthLabel: { color: dark() ? '#a2adb9' : '#57606a' }, yearLabel: { show: false },
        itemStyle: { borderColor: dark() ? '#0f1419' : '#ffffff', borderWidth: 2, color: dark() ? '#171d24' : '#f6f8fa' },
        splitLine: { show: false },
      },
      series: [{ type: 'heatmap', coordinateSystem: 'calendar', name: 'messages', data: shown.map((d) => [d.date, d.messages]) }],
    },
    drill: (p) => ({ drill: { date: p.value[0] }, label: p.value[0] }),
  };
}
