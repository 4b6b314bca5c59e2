// The filter bar (date range, topic, model, sentiment) and downloads with the filter.
import { api, download } from './api.js';
import { announce, bytes, h, mount } from './dom.js';
import { SENTIMENT_ORDER } from './charts.js';
import { go } from './state.js';

const FORMATS = [
  ['csv', 'CSV (zip of tables)'], ['xlsx', 'Excel'], ['pdf', 'PDF report'], ['html', 'HTML report'], ['json', 'JSON (all results)'],
];

function select(id, text, options, value) {
  return h('div', { class: 'field' },
    h('label', { for: id }, text),
    h('select', { id, name: id },
      h('option', { value: '' }, 'any'),
      options.map(([v, l]) => h('option', { value: v, selected: v === value }, l))));
}

/** The filter bar: changes go to the URL (and so to lists and downloads). */
export function filterBar(results, filters, topicLabels) {
  const dates = results.summary.date_range || [];
  const form = h('form', { class: 'filters', 'aria-label': 'Filters' },
    h('div', { class: 'field' }, h('label', { for: 'f-from' }, 'From'),
      h('input', { type: 'date', id: 'f-from', name: 'date_from', value: filters.date_from || '', min: dates[0], max: dates[dates.length - 1] })),
    h('div', { class: 'field' }, h('label', { for: 'f-to' }, 'To'),
      h('input', { type: 'date', id: 'f-to', name: 'date_to', value: filters.date_to || '', min: dates[0], max: dates[dates.length - 1] })),
    select('f-topic', 'Topic', Object.entries(topicLabels), filters.topic),
    select('f-model', 'Model', Object.keys(results.summary.models || {}).map((m) => [m, m]), filters.model),
    select('f-sentiment', 'Sentiment', SENTIMENT_ORDER.map((l) => [l, l]), filters.sentiment),
    h('button', { type: 'submit', class: 'button primary' }, 'Apply filters'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    go({
      filters: {
        date_from: data.get('date_from'), date_to: data.get('date_to'),
        topic: data.get('f-topic'), model: data.get('f-model'), sentiment: data.get('f-sentiment'),
      },
    });
  });
  const names = { date_from: 'from', date_to: 'to', topic: 'topic', model: 'model', sentiment: 'sentiment' };
  const chips = Object.entries(filters).map(([k, v]) => h('span', { class: 'chip' },
    `${names[k]}: ${k === 'topic' ? topicLabels[v] || v : v}`,
    h('button', { type: 'button', 'aria-label': `Remove filter ${names[k]}`, onclick: () => go({ filters: { ...filters, [k]: '' } }) }, '×')));
  return h('section', { class: 'panel filters-panel', 'aria-labelledby': 'filters-title' },
    h('h2', { id: 'filters-title' }, 'Filters'),
    h('p', { class: 'muted' }, 'They apply to the whole dashboard, the conversation lists and every download.'),
    form,
    chips.length ? h('div', { class: 'chips', 'aria-label': 'Active filters' }, chips) : null);
}

/** The export filter of the API for the dashboard filters. */
export function exportFilter(filters) {
  const f = {};
  if (filters.date_from) f.date_from = filters.date_from;
  if (filters.date_to) f.date_to = filters.date_to;
  if (filters.topic) f.topics = [filters.topic];
  if (filters.model) f.models = [filters.model];
  if (filters.sentiment) f.sentiment = [filters.sentiment];
  return f;
}

async function finished(exp) {
  let state = exp;
  while (state.status !== 'complete') {
    if (state.status === 'failed' || state.status === 'cancelled') throw new Error(`The export ${state.status}.`);
    await new Promise((resolve) => { setTimeout(resolve, 700); });
    state = await api(state.status_url);
  }
  return state;
}

/** Downloads of every format with the current filter, with progress. */
export function downloadPanel(jobId, filters) {
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const bar = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Download progress' });
  const buttons = FORMATS.map(([fmt, text]) => h('button', {
    type: 'button', class: 'button', dataset: { format: fmt },
    onclick: async (e) => {
      const btn = e.currentTarget;
      btn.disabled = true;
      bar.hidden = false;
      bar.removeAttribute('value');
      try {
        status.textContent = `Rendering ${text}…`;
        const exp = await finished(await api('/api/export', {
          method: 'POST', json: { job_id: jobId, formats: [fmt], options: { filter: exportFilter(filters) } },
        }));
        for (const file of exp.files) {
          const got = await download(file.url, file.filename, (done, total) => {
            if (total) { bar.max = total; bar.value = done; }
            status.textContent = `Downloading ${file.filename}: ${bytes(done)}${total ? ` of ${bytes(total)}` : ''}`;
          });
          status.textContent = `Downloaded ${file.filename} (${bytes(got)}).`;
          announce(`Downloaded ${file.filename}`);
        }
      } catch (err) {
        status.textContent = err.message;
      } finally {
        btn.disabled = false;
        bar.hidden = true;
      }
    },
  }, text));
  const active = Object.keys(filters).length;
  return h('section', { class: 'panel', 'aria-labelledby': 'downloads-title' },
    h('h2', { id: 'downloads-title' }, 'Download'),
    h('p', { class: 'muted' }, active ? 'With the filters above; personal data stays redacted.' : 'Everything; personal data stays redacted.'),
    h('div', { class: 'row' }, buttons), bar, status);
}

