// Drill-down: the conversations behind a chart element, then one conversation's
// redacted messages with failures, sentiment and abandoned branches marked.
import { api } from './api.js';
import { h, languageName, mount, num, when } from './dom.js';
import { go } from './state.js';

const DRILL_PARAMS = {
  month: 'month', date: 'date', weekday: 'weekday', hour: 'hour', topic_id: 'topic',
  failure_type: 'failure_type', severity: 'severity', task_completion: 'task_completion',
  conv_sentiment: 'sentiment', entity_type: 'entity_type', model_id: 'model', role: 'role',
  language: 'language',
};
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** API query parameters for the dashboard filters plus a drill-down. */
export function queryOf(filters, drill) {
  const params = {};
  const add = (k, v) => { params[k] = params[k] ? [].concat(params[k], v) : v; };
  for (const [k, v] of Object.entries(filters)) add(k, v);
  for (const [k, v] of Object.entries(drill)) if (DRILL_PARAMS[k]) add(DRILL_PARAMS[k], v);
  return params;
}

/** Words for a drill-down ("Tuesday 21:00", "topic Coding"). */
export function describeDrill(drill, topicLabels) {
  const parts = [];
  if (drill.topic_id) parts.push(`topic ${topicLabels[drill.topic_id] || drill.topic_id}`);
  if (drill.month) parts.push(drill.month);
  if (drill.date) parts.push(drill.date);
  if (drill.weekday) parts.push(`${WEEKDAYS[Number(drill.weekday)]}s`);
  if (drill.hour) parts.push(`${drill.hour}:00`);
  if (drill.failure_type) parts.push(`failure: ${drill.failure_type.replaceAll('_', ' ')}`);
  if (drill.severity) parts.push(`severity ${drill.severity}`);
  if (drill.task_completion) parts.push(`task ${drill.task_completion.replaceAll('_', ' ')}`);
  if (drill.conv_sentiment) parts.push(`sentiment ${drill.conv_sentiment}`);
  if (drill.entity_type) parts.push(`personal data: ${drill.entity_type.replaceAll('_', ' ')}`);
  if (drill.model_id) parts.push(`model ${drill.model_id}`);
  if (drill.role) parts.push(`${drill.role} messages`);
  if (drill.language) parts.push(`in ${languageName(drill.language)}`);
  return parts.join(' · ') || 'all conversations';
}

function markers(row) {
  const out = [];
  if (row.sentiment) {
    const cls = row.sentiment.includes('Negative') ? 'sentiment-neg' : row.sentiment.includes('Positive') ? 'sentiment-pos' : '';
    out.push(h('span', { class: `marker ${cls}` }, row.sentiment));
  }
  if (row.failures) out.push(h('span', { class: 'marker fail' }, `${num(row.failures)} failure${row.failures > 1 ? 's' : ''}`));
  if (row.task_completion) out.push(h('span', { class: 'marker' }, row.task_completion.replaceAll('_', ' ')));
  if (row.abandoned_branches) out.push(h('span', { class: 'marker' }, `${num(row.abandoned_branches)} abandoned branch${row.abandoned_branches > 1 ? 'es' : ''}`));
  if (row.privacy_findings) out.push(h('span', { class: 'marker' }, `${num(row.privacy_findings)} redacted`));
  return out;
}

/** The list of conversations behind a drill-down, paged with "Show more". */
export async function renderConversationList(el, jobId, state, topicLabels) {
  const list = h('ul', { class: 'conv-list', 'aria-label': 'Conversations' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Show more');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Loading conversations…');
  mount(el,
    h('div', { class: 'row' },
      h('h2', { id: 'drill-title' }, `Conversations: ${describeDrill(state.drill, topicLabels)}`),
      h('button', { type: 'button', class: 'button subtle', onclick: () => go({ drill: {}, conv: '' }) }, 'Close list')),
    count, list, more);
  let cursor = null;
  const load = async () => {
    more.disabled = true;
    const page = await api(`/api/analysis/${jobId}/conversations`, {
      params: { ...queryOf(state.filters, state.drill), limit: 25, cursor },
    });
    count.textContent = `${num(page.total)} conversation${page.total === 1 ? '' : 's'}`;
    for (const row of page.items) {
      list.append(h('li', {},
        h('a', {
          href: `?job=${encodeURIComponent(jobId)}&conv=${encodeURIComponent(row.conversation_id)}`,
          onclick: (e) => { e.preventDefault(); go({ conv: row.conversation_id }); },
        }, row.title || '(untitled)'),
        h('div', { class: 'conv-meta' },
          h('span', {}, row.first_date === row.last_date ? row.first_date || '' : `${row.first_date} – ${row.last_date}`),
          h('span', {}, `${num(row.messages)} messages`),
          row.model ? h('span', {}, row.model) : null,
          markers(row))));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
    more.disabled = false;
  };
  more.addEventListener('click', () => load().catch((err) => { count.textContent = err.message; }));
  await load();
}

function messageItem(m, failures) {
  const own = failures.filter((f) => m.failure_ids.includes(f.id));
  const classes = ['msg', m.role];
  if (own.length) classes.push('failed');
  if (m.abandoned_alternatives) classes.push('abandoned');
  const details = [];
  if (m.thinking.length) details.push(h('details', {}, h('summary', {}, `Thinking (${m.thinking.length})`), m.thinking.map((t) => h('pre', { class: 'text' }, t))));
  if (m.tools.length) details.push(h('details', {}, h('summary', {}, `Tool calls: ${m.tools.join(', ')}${m.tool_errors ? ` (${m.tool_errors} failed)` : ''}`)));
  const attached = [...m.attachments, ...m.files];
  if (attached.length) {
    const named = attached.filter(Boolean);
    details.push(h('p', { class: 'muted' }, named.length ? `Attached: ${named.join(', ')}` : `${attached.length} attachment${attached.length > 1 ? 's' : ''}`));
  }
  return h('li', { class: classes.join(' '), id: `m-${m.message_id}` },
    h('header', {},
      h('strong', {}, m.role === 'user' ? 'You' : 'Assistant'),
      h('span', {}, when(m.created_at)),
      m.model ? h('span', {}, m.model) : null,
      m.sentiment ? h('span', { class: 'marker' }, `${m.sentiment.label} (${m.sentiment.compound.toFixed(2)})`) : null,
      m.abandoned_alternatives ? h('span', { class: 'marker' }, `${m.abandoned_alternatives} abandoned version${m.abandoned_alternatives > 1 ? 's' : ''}`) : null,
      Object.keys(m.privacy).length ? h('span', { class: 'marker' }, `redacted: ${Object.entries(m.privacy).map(([k, n]) => `${n} ${k}`).join(', ')}`) : null),
    h('pre', { class: 'text' }, m.text || '(no text)'),
    details,
    own.map((f) => h('p', { class: 'failure-note' }, `Failure: ${f.type.replaceAll('_', ' ')} (${f.severity}, ${f.evidence.replaceAll('_', ' ')})${f.matched ? ` — “${f.matched}”` : ''}`)));
}

/** One conversation's redacted messages with its markers. */
export async function renderConversation(el, jobId, conversationId) {
  mount(el, h('p', { class: 'muted' }, 'Loading the conversation…'));
  const first = await api(`/api/analysis/${jobId}/conversations/${encodeURIComponent(conversationId)}`, { params: { limit: 200 } });
  const c = first.conversation;
  const list = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  const more = h('button', { type: 'button', class: 'button', hidden: !first.next_cursor }, 'Show more messages');
  const add = (page) => { for (const m of page.messages) list.append(messageItem(m, first.failures)); };
  add(first);
  let cursor = first.next_cursor;
  more.addEventListener('click', async () => {
    const page = await api(`/api/analysis/${jobId}/conversations/${encodeURIComponent(conversationId)}`, { params: { limit: 200, cursor } });
    add(page);
    cursor = page.next_cursor;
    more.hidden = !cursor;
  });
  mount(el,
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'button subtle', onclick: () => go({ conv: '' }) }, '← Back'),
      h('h2', { id: 'conversation-title' }, c.title || '(untitled)')),
    h('div', { class: 'conv-meta' },
      h('span', {}, `${num(first.total_messages)} messages`),
      c.model ? h('span', {}, c.model) : null,
      first.quality ? h('span', {}, `collaboration ${first.quality.collaboration_score.toFixed(2)}`) : null,
      first.sentiment ? h('span', {}, `sentiment ${first.sentiment.start.toFixed(2)} → ${first.sentiment.end.toFixed(2)}`) : null,
      markers(c)),
    list, more);
  el.querySelector('h2').setAttribute('tabindex', '-1');
  el.querySelector('h2').focus();
}
