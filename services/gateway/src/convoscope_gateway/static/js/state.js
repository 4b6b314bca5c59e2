// The URL is the state: view, job, filters, drill-down and open conversation live in the
// query string, so a reload or a shared link shows the same thing.

export const FILTER_KEYS = ['date_from', 'date_to', 'topic', 'model', 'sentiment'];
export const DRILL_KEYS = [
  'month', 'date', 'weekday', 'hour', 'topic_id', 'failure_type', 'severity',
  'task_completion', 'conv_sentiment', 'entity_type', 'model_id', 'role', 'language', 'all',
];

/** The current state from location.search. */
export function readState() {
  const q = new URLSearchParams(window.location.search);
  const filters = {};
  for (const k of FILTER_KEYS) if (q.get(k)) filters[k] = q.get(k);
  const drill = {};
  for (const k of DRILL_KEYS) if (q.get(`d_${k}`)) drill[k] = q.get(`d_${k}`);
  return {
    view: q.get('view') || (q.get('job') ? 'job' : 'upload'),
    job: q.get('job') || '',
    conv: q.get('conv') || '',
    filters,
    drill,
  };
}

/** The URL of a state. */
export function urlOf(state) {
  const q = new URLSearchParams();
  if (state.job) q.set('job', state.job);
  else if (state.view && state.view !== 'upload') q.set('view', state.view);
  if (state.job && state.view === 'manage') q.set('view', 'manage');
  for (const [k, v] of Object.entries(state.filters || {})) if (v) q.set(k, v);
  for (const [k, v] of Object.entries(state.drill || {})) if (v !== undefined && v !== '') q.set(`d_${k}`, v);
  if (state.conv) q.set('conv', state.conv);
  const text = q.toString();
  return text ? `/?${text}` : '/?view=upload';
}

/** Move to a new state (pushed to history unless `replace`), then render. */
export function go(patch, { replace = false } = {}) {
  const next = { ...readState(), ...patch };
  const url = urlOf(next);
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new CustomEvent('convoscope:navigate'));
}
