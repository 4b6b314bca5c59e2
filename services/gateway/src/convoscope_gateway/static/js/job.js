// One analysis: live progress over Socket.IO while it runs (cancel, reconnect), then the
// dashboard in place, with filters, downloads, drill-down and the conversation view.
import { answer, api, apiKey } from './api.js';
import { queryOf, renderConversation, renderConversationList } from './browse.js';
import { renderDashboard } from './dashboard.js';
import { announce, h, mount, num, when } from './dom.js';
import { downloadPanel, filterBar } from './filters.js';
import { takePrefetched } from './prefetch.js';
import { go, readState } from './state.js';

const RUNNING = new Set(['pending', 'processing']);
let socket = null;
let watched = '';
let cached = null; // the last complete status: pages of one job do not refetch it

// Socket.IO is loaded only for a job that is still running: a finished one never needs it.
async function connectSocket() {
  if (socket) return socket;
  const { io } = await import('../vendor/socket.io/socket.io.esm.min.js');
  if (socket) return socket;
  socket = io({ path: '/socket.io', transports: ['websocket', 'polling'], auth: apiKey() ? { api_key: apiKey() } : {} });
  // After a network blip the server has forgotten our rooms: subscribe again, and the
  // ack plus the state events bring the page up to date.
  socket.on('connect', () => { if (watched) socket.emit('subscribe', { job_id: watched }); });
  return socket;
}

function progressView(status) {
  const steps = [];
  const list = h('ol', { class: 'steps', 'aria-label': 'Steps' });
  const bar = h('progress', { max: 100, value: status.progress || 0, id: 'job-progress', 'aria-label': 'Analysis progress' });
  const pctText = h('span', { id: 'job-percent' }, `${Math.round(status.progress || 0)} %`);
  const message = h('p', { class: 'muted', 'aria-live': 'polite' }, status.message || 'Waiting for an analyzer…');
  const insights = h('ul', { class: 'insights', 'aria-label': 'Insights so far' });
  const connection = h('p', { class: 'muted', id: 'connection' });
  const seen = new Set();
  const update = (ev) => {
    bar.value = ev.progress || 0;
    pctText.textContent = `${Math.round(ev.progress || 0)} %`;
    if (ev.message) message.textContent = ev.message;
    if (ev.current_step && steps[steps.length - 1] !== ev.current_step) {
      steps.push(ev.current_step);
      mount(list, steps.map((s, i) => h('li', { class: i === steps.length - 1 ? 'current' : 'done' }, s)));
    }
    for (const text of ev.insights || []) {
      if (!seen.has(text)) { seen.add(text); insights.append(h('li', {}, text)); }
    }
  };
  update(status);
  const view = h('section', { class: 'panel stack', 'aria-labelledby': 'progress-title', id: 'progress-panel' },
    h('h2', { id: 'progress-title' }, 'Analysing'),
    h('div', { class: 'row' }, bar, pctText), message, list,
    h('h3', {}, 'Insights as they arrive'), insights, connection);
  return { view, update, connection };
}

function header(status) {
  const privacy = status.results ? status.results.options.enable_privacy : true;
  return h('div', { class: 'stack' },
    h('div', { class: 'row' },
      h('h1', {}, 'Analysis'),
      privacy ? h('span', { class: 'badge privacy', id: 'privacy-badge' }, 'Redaction on') : h('span', { class: 'badge' }, 'Redaction off')),
    h('p', { class: 'muted' }, `Job ${status.job_id} · ${status.status}${status.finished_at ? ` · finished ${when(status.finished_at)}` : ''}${status.from_cache ? ' · from the cache' : ''}`));
}

async function watch(main, status) {
  const { view, update, connection } = progressView(status);
  const cancel = h('button', { type: 'button', class: 'button danger', id: 'cancel' }, 'Cancel analysis');
  mount(main, header(status), view, h('div', { class: 'row' }, cancel));
  const jobId = status.job_id;
  watched = jobId;
  const s = await connectSocket();
  const done = async () => {
    // The results may be a moment away (the gateway restarting): retry a few times.
    for (let attempt = 1; readState().job === jobId; attempt += 1) {
      cached = null;
      try {
        await renderJob(main);
        return;
      } catch (err) {
        if (attempt >= 10) {
          mount(main, h('p', { class: 'error', role: 'alert' }, err.message));
          return;
        }
        await new Promise((resolve) => { setTimeout(resolve, 1000 * attempt); });
      }
    }
  };
  const handlers = {
    progress: (ev) => { if (ev.job_id === jobId) update(ev); },
    complete: (ev) => { if (ev.job_id === jobId) { announce('The analysis is complete.'); done(); } },
    error: (ev) => { if (ev && ev.job_id === jobId) done(); },
    cancelled: (ev) => { if (ev.job_id === jobId) done(); },
    disconnect: (reason) => {
      connection.textContent = 'Connection lost — reconnecting…';
      // A gateway that shuts down says goodbye ("io server disconnect"), after which the
      // client would not retry on its own: for the person it is a blip like any other.
      if (reason === 'io server disconnect') setTimeout(() => s.connect(), 1000);
    },
    connect: () => { connection.textContent = ''; },
  };
  for (const [name, fn] of Object.entries(handlers)) s.on(name, fn);
  const stop = () => { for (const [name, fn] of Object.entries(handlers)) s.off(name, fn); };
  window.addEventListener('convoscope:navigate', stop, { once: true });
  if (s.connected) s.emit('subscribe', { job_id: jobId });
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try { await api(`/api/analysis/${jobId}`, { method: 'DELETE' }); } catch (err) { announce(err.message); }
    done();
  });
  // Events may have been missed between the GET and the subscription: check once more.
  const again = await api(`/api/analysis/${jobId}`);
  if (!RUNNING.has(again.status)) { stop(); done(); }
}

function topicLabels(results) {
  const labels = {};
  const t = results.topics;
  if (t) for (const topic of [...t.taxonomy, ...t.learned]) if (topic.conversations) labels[topic.id] = topic.label;
  return labels;
}

/** Render the job named in the URL. */
export async function renderJob(main) {
  const state = readState();
  let status = cached && cached.job_id === state.job ? cached : null;
  if (!status) {
    mount(main, h('p', { class: 'muted' }, 'Loading the analysis…'));
    const early = takePrefetched(state.job);
    status = early ? await early.then(answer, () => null) : null;
    if (!status) status = await api(`/api/analysis/${encodeURIComponent(state.job)}`);
  }
  if (RUNNING.has(status.status)) { await watch(main, status); return; }
  if (status.status !== 'complete') {
    mount(main, header(status),
      h('p', { class: 'error' }, status.status === 'cancelled' ? 'This analysis was cancelled.' : `The analysis failed: ${status.error ? status.error.message : 'unknown error'}`),
      h('p', {}, h('a', { href: '/?view=upload' }, 'Upload a file and start again')));
    return;
  }
  cached = status;
  const labels = topicLabels(status.results);
  const drillBox = h('section', { id: 'drill', 'aria-labelledby': 'drill-title', class: 'panel' });
  const convBox = h('section', { id: 'conversation', 'aria-labelledby': 'conversation-title', class: 'panel' });
  const dash = h('div', { id: 'dashboard' });
  const del = h('button', {
    type: 'button', class: 'button danger', id: 'delete-job',
    onclick: async () => {
      if (!window.confirm('Delete this analysis, its results and its downloads?')) return;
      await api(`/api/analysis/${encodeURIComponent(status.job_id)}`, { method: 'DELETE' });
      cached = null;
      announce('Deleted the analysis.');
      go({ view: 'manage', job: '', filters: {}, drill: {}, conv: '' });
    },
  }, 'Delete analysis');
  const showList = Object.keys(state.drill).length > 0;
  mount(main,
    header(status),
    h('p', { class: 'muted' }, `${num(status.results.summary.conversations)} conversations analysed in ${status.results.options.timezone}. `, del),
    state.conv ? convBox : null,
    !state.conv && showList ? drillBox : null,
    filterBar(status.results, state.filters, labels),
    state.conv ? null : dash,
    downloadPanel(status.job_id, state.filters));
  if (state.conv) {
    await renderConversation(convBox, status.job_id, state.conv);
    return;
  }
  let results = status.results;
  if (Object.keys(state.filters).length) {
    // The whole dashboard obeys the filter: the same document, recomputed by the server.
    results = await api(`/api/analysis/${encodeURIComponent(status.job_id)}/overview`, { params: queryOf(state.filters, {}) });
    dash.before(h('p', { class: 'muted', id: 'filtered-note', role: 'note' },
      `Filtered: ${num(results.summary.conversations)} of ${num(status.results.summary.conversations)} conversations, ${num(results.summary.messages)} messages.`));
  }
  renderDashboard(dash, { ...status, results });
  if (showList) {
    await renderConversationList(drillBox, status.job_id, state, labels);
    drillBox.querySelector('h2').setAttribute('tabindex', '-1');
    drillBox.querySelector('h2').focus();
  }
}
