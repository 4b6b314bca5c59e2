// The dashboard of a complete analysis, drawn from the light results document.
import {
  SENTIMENT_COLORS, SENTIMENT_ORDER, SEVERITY_COLORS, PALETTE, WEEKDAYS,
  barChart, calendarChart, chartCard, disposeCharts, heatmapChart, lineChart, stackedBars,
} from './charts.js';
import { compareCards } from './compare.js';
import { h, languageName, mount, num, pct } from './dom.js';
import { go } from './state.js';

const TASKS = ['completed', 'in_progress', 'abandoned', 'blocked'];
const TASK_LABELS = { completed: 'completed', in_progress: 'in progress', abandoned: 'abandoned', blocked: 'blocked' };
const label = (s) => s.replaceAll('_', ' ');

/** "Sentiment covers 71 % of your messages; 29 % Portuguese not scored." (issue 19) */
export function sentimentCoverage(s) {
  const total = s.messages + (s.not_scored || 0);
  if (!s.not_scored || !total) return `Sentiment covers all ${num(s.messages)} of your messages.`;
  const parts = Object.entries(s.not_scored_by_language || {})
    .map(([lang, n]) => `${pct(n / total, 0)} ${languageName(lang)}`);
  const read = (s.languages || []).map(languageName).join(', ');
  return `Sentiment covers ${pct(s.coverage, 0)} of your messages; ${parts.join(', ')} not scored (the model reads ${read} only).`;
}

function allTopics(results) {
  const t = results.topics || { taxonomy: [], learned: [] };
  return [...t.taxonomy, ...t.learned].filter((x) => x.conversations > 0)
    .sort((a, b) => b.conversations - a.conversations || a.id.localeCompare(b.id));
}

/** One colour per topic, the same everywhere. */
export function topicColors(results) {
  const colors = {};
  allTopics(results).forEach((t, i) => { colors[t.id] = PALETTE[i % PALETTE.length]; });
  return colors;
}

function card(value, caption, drill) {
  const body = [h('div', { class: `value${String(value).length > 12 ? ' small' : ''}` }, value), h('div', { class: 'label' }, caption)];
  return h('div', { class: 'card' }, drill
    ? h('button', { type: 'button', class: 'linklike', 'aria-label': `${value} ${caption}: show conversations`, onclick: () => go({ drill, conv: '' }) }, body)
    : body);
}

function summaryCards(r) {
  const s = r.summary;
  const q = r.quality;
  const t = r.temporal;
  const cards = [
    card(num(s.conversations), 'conversations', { all: '1' }),
    card(num(s.messages), 'messages'),
    card(num(s.words), 'words'),
    card(s.date_range.length ? `${s.date_range[0]} – ${s.date_range[s.date_range.length - 1]}` : '–', 'first and last day'),
  ];
  if (q) {
    cards.push(card(pct(q.failures.failure_rate), 'of answers with a failure'));
    cards.push(card(num(q.task_completion.completed || 0), 'tasks completed', { task_completion: 'completed' }));
  }
  if (r.sentiment) cards.push(card(r.sentiment.mean_compound.toFixed(2), 'mean sentiment (−1 … 1)'));
  if (r.sentiment && r.sentiment.not_scored) cards.push(card(pct(r.sentiment.coverage, 0), 'of your messages scored for sentiment'));
  const langs = Object.keys((r.languages && r.languages.messages) || {});
  if (langs.length > 1) cards.push(card(num(langs.length), `languages, mostly ${languageName(langs[0])}`));
  if (t) {
    cards.push(card(`${num(t.streaks.longest_days)} day${t.streaks.longest_days === 1 ? '' : 's'}`, `longest streak${t.streaks.longest_start ? ` from ${t.streaks.longest_start}` : ''}`));
    cards.push(card(num(t.sessions.count), `sessions, median ${Math.round(t.sessions.median_minutes)} min`));
  }
  cards.push(card(num(s.tool_uses), `tool calls, ${num(s.tool_errors)} failed`));
  // What people do besides typing, when the export has any of it.
  for (const [value, label] of [
    [s.voice_turns, 'voice turns'],
    [s.images_generated, 'images generated'],
    [s.images_uploaded, 'images uploaded'],
    [s.canvas_documents, 'canvas documents'],
    [Object.keys(s.tool_calls_by_mcp_server || {}).length, 'MCP servers used'],
  ]) if (value) cards.push(card(num(value), label));
  if (r.privacy) cards.push(card(num(r.privacy.total), r.privacy.enabled ? 'personal data items redacted' : 'personal data items (redaction off)'));
  return h('div', { class: 'cards', role: 'list', 'aria-label': 'Summary' }, cards.map((c) => { c.setAttribute('role', 'listitem'); return c; }));
}

function busiest(map) {
  let best = null;
  for (const [k, v] of Object.entries(map || {})) if (!best || v > best[1]) best = [k, v];
  return best;
}

function charts(r, onDrill) {
  const out = { when: [], what: [], how: [], privacy: [] };
  const t = r.temporal;
  if (t) {
    const months = Object.keys(t.monthly).sort();
    const top = busiest(t.monthly);
    out.when.push(chartCard({
      id: 'monthly', title: 'Messages by month',
      takeaway: top ? `Your busiest month was ${top[0]} with ${num(top[1])} messages.` : 'No dated messages.',
      columns: ['Month', 'Messages'],
      rows: months.map((m) => ({ label: m, values: [t.monthly[m]], drill: { month: m } })),
      build: () => barChart({ categories: months, values: months.map((m) => t.monthly[m]), name: 'messages', drills: months.map((m) => ({ drill: { month: m }, label: m })) }),
      onDrill,
    }));
    const cells = [];
    t.heatmap.forEach((hours, d) => hours.forEach((n, hour) => { if (n) cells.push({ d, hour, n }); }));
    cells.sort((a, b) => b.n - a.n);
    const peak = cells[0];
    out.when.push(chartCard({
      id: 'heatmap', title: 'Hour × weekday',
      takeaway: peak ? `You use the assistant most on ${WEEKDAYS[peak.d]}s around ${peak.hour}:00 (${t.timezone}).` : 'No dated messages.',
      columns: ['When', 'Messages'],
      rows: cells.slice(0, 24).map((c) => ({ label: `${WEEKDAYS[c.d]} ${c.hour}:00`, values: [c.n], drill: { weekday: String(c.d), hour: String(c.hour) } })),
      build: () => heatmapChart({ matrix: t.heatmap }),
      onDrill,
    }));
    const days = t.calendar || [];
    out.when.push(chartCard({
      id: 'calendar', title: 'Daily activity (last 12 months)', wide: true, short: true,
      takeaway: `Longest streak: ${num(t.streaks.longest_days)} days${t.streaks.longest_start ? ` (${t.streaks.longest_start} – ${t.streaks.longest_end})` : ''}; current streak ${num(t.streaks.current_days)} days.`,
      columns: ['Day', 'Messages', 'Conversations'],
      rows: days.slice(-60).reverse().map((d) => ({ label: d.date, values: [d.messages, d.conversations], drill: { date: d.date } })),
      build: () => calendarChart({ days }),
      onDrill,
    }));
  }
  const topics = allTopics(r);
  if (topics.length) {
    const colors = topicColors(r);
    const shown = topics.slice(0, 12);
    out.what.push(chartCard({
      id: 'topics', title: 'Topics',
      takeaway: `${shown[0].label} comes up most: ${num(shown[0].conversations)} conversations (${pct(shown[0].share, 0)}).`,
      columns: ['Topic', 'Conversations'],
      rows: shown.map((x) => ({ label: x.label, values: [x.conversations], drill: { topic_id: x.id } })),
      build: () => barChart({ categories: shown.map((x) => x.label), values: shown.map((x) => x.conversations), colors: shown.map((x) => colors[x.id]), horizontal: true, name: 'conversations', drills: shown.map((x) => ({ drill: { topic_id: x.id }, label: x.label })) }),
      onDrill, tall: true,
    }));
    const trend = topics.slice(0, 5);
    const months = [...new Set(trend.flatMap((x) => Object.keys(x.monthly)))].sort();
    out.what.push(chartCard({
      id: 'topic-trend', title: 'Topic trend by month',
      takeaway: `The five largest topics, conversations per month.`,
      columns: ['Topic / month', 'Conversations'],
      rows: trend.flatMap((x) => months.filter((m) => x.monthly[m]).map((m) => ({ label: `${x.label} · ${m}`, values: [x.monthly[m]], drill: { topic_id: x.id, month: m } }))),
      build: () => lineChart({
        categories: months,
        series: trend.map((x) => ({ name: x.label, color: colors[x.id], values: months.map((m) => x.monthly[m] || 0) })),
        drills: (si, di) => ({ drill: { topic_id: trend[si].id, month: months[di] }, label: `${trend[si].label} · ${months[di]}` }),
      }),
      onDrill, tall: true,
    }));
  }
  const models = Object.entries(r.summary.models || {}).sort((a, b) => b[1] - a[1]);
  if (models.length) {
    out.what.push(chartCard({
      id: 'models', title: 'Models',
      takeaway: `${models[0][0]} answered most (${num(models[0][1])} messages); ${num(r.summary.tool_uses)} tool calls, ${num(r.summary.thinking_blocks)} thinking blocks.`,
      columns: ['Model', 'Messages'],
      rows: models.map(([m, n]) => ({ label: m, values: [n], drill: { model_id: m } })),
      build: () => barChart({ categories: models.map((m) => m[0]), values: models.map((m) => m[1]), horizontal: true, name: 'messages', drills: models.map(([m]) => ({ drill: { model_id: m }, label: m })) }),
      onDrill,
    }));
  }
  const lang = r.languages;
  const spoken = Object.entries((lang && lang.messages) || {}).sort((a, b) => b[1] - a[1]);
  if (spoken.length) {
    const coverage = Object.fromEntries((lang.coverage || []).map((c) => [c.analysis, new Set(c.languages)]));
    const reads = (analysis, code) => (coverage[analysis] ? (coverage[analysis].has(code) ? 'yes' : 'no') : '–');
    const unread = spoken.filter(([code]) => coverage.sentiment && !coverage.sentiment.has(code));
    out.what.push(chartCard({
      id: 'languages', title: 'Languages of your messages',
      takeaway: unread.length
        ? `${spoken.length} languages; ${unread.map(([code]) => languageName(code)).join(', ')} ${unread.length === 1 ? 'is' : 'are'} not scored for sentiment.`
        : `${spoken.length === 1 ? `All in ${languageName(spoken[0][0])}` : `${spoken.length} languages`}; every one is read by every analysis.`,
      columns: ['Language', 'User messages', 'Conversations', 'Sentiment', 'Failure cues', 'Topic keywords'],
      rows: spoken.map(([code, n]) => ({
        label: languageName(code),
        values: [n, (lang.conversations || {})[code] || 0, reads('sentiment', code), reads('failure_cues', code), reads('taxonomy', code)],
        drill: { language: code },
      })),
      build: () => barChart({
        categories: spoken.map(([code]) => languageName(code)), values: spoken.map(([, n]) => n), horizontal: true, name: 'user messages',
        colors: spoken.map(([code]) => (coverage.sentiment && !coverage.sentiment.has(code) ? '#999999' : PALETTE[0])),
        drills: spoken.map(([code]) => ({ drill: { language: code }, label: languageName(code) })),
      }),
      onDrill,
    }));
  }
  const s = r.sentiment;
  if (s) {
    const months = s.monthly.map((p) => p.period);
    out.how.push(chartCard({
      id: 'sentiment', title: 'Sentiment over time', wide: true,
      takeaway: `Your messages average ${s.mean_compound.toFixed(2)} on VADER's −1 … 1 scale; bars count messages by label, the line is the monthly mean. ${sentimentCoverage(s)}`,
      columns: ['Month', 'Mean', 'Messages'],
      rows: s.monthly.map((p) => ({ label: p.period, values: [p.mean_compound.toFixed(2), p.messages], drill: { month: p.period, role: 'user' } })),
      build: () => stackedBars({
        categories: months,
        series: SENTIMENT_ORDER.map((l) => ({ name: l, color: SENTIMENT_COLORS[l], values: s.monthly.map((p) => p.labels[l] || 0) })),
        lineSeries: { name: 'mean', color: dark() ? '#e6edf3' : '#1b1f24', values: s.monthly.map((p) => Number(p.mean_compound.toFixed(3))) },
        drills: (_si, di) => ({ drill: { month: months[di], role: 'user' }, label: months[di] }),
      }),
      onDrill,
    }));
    const conv = SENTIMENT_ORDER.filter((l) => s.conversation_labels[l]);
    out.how.push(chartCard({
      id: 'conversation-sentiment', title: 'Conversations by sentiment',
      takeaway: `How conversations felt from start to end.`,
      columns: ['Sentiment', 'Conversations'],
      rows: conv.map((l) => ({ label: l, values: [s.conversation_labels[l]], drill: { conv_sentiment: l } })),
      build: () => barChart({ categories: conv, values: conv.map((l) => s.conversation_labels[l]), colors: conv.map((l) => SENTIMENT_COLORS[l]), name: 'conversations', drills: conv.map((l) => ({ drill: { conv_sentiment: l }, label: l })) }),
      onDrill,
    }));
  }
  const q = r.quality;
  if (q) {
    const f = q.failures;
    const types = Object.entries(f.by_type).filter(([, n]) => n).sort((a, b) => b[1] - a[1]).map(([k]) => k);
    out.how.push(chartCard({
      id: 'failures', title: 'Failures by type and severity',
      takeaway: f.total ? `${num(f.total)} failures in ${num(f.assistant_messages_with_failure)} of ${num(f.assistant_messages)} answers; most often ${label(types[0])}.` : 'No assistant failures were found.',
      columns: ['Failure', 'high', 'medium', 'low'],
      rows: types.map((k) => ({ label: label(k), values: ['high', 'medium', 'low'].map((v) => (f.by_type_and_severity[k] || {})[v] || 0), drill: { failure_type: k } })),
      build: () => stackedBars({
        categories: types.map(label), horizontal: true,
        series: ['high', 'medium', 'low'].map((v) => ({ name: v, color: SEVERITY_COLORS[v], values: types.map((k) => (f.by_type_and_severity[k] || {})[v] || 0) })),
        drills: (si, di) => ({ drill: { failure_type: types[di], severity: ['high', 'medium', 'low'][si] }, label: `${label(types[di])} (${['high', 'medium', 'low'][si]})` }),
      }),
      onDrill,
    }));
    const tasks = TASKS.filter((k) => q.task_completion[k]);
    out.how.push(chartCard({
      id: 'completion', title: 'Task completion',
      takeaway: `Mean collaboration score ${q.mean_collaboration_score.toFixed(2)} (0 … 1).`,
      columns: ['Outcome', 'Conversations'],
      rows: tasks.map((k) => ({ label: TASK_LABELS[k], values: [q.task_completion[k]], drill: { task_completion: k } })),
      build: () => barChart({ categories: tasks.map((k) => TASK_LABELS[k]), values: tasks.map((k) => q.task_completion[k]), colors: tasks.map((_k, i) => ['#009E73', '#56B4E9', '#E69F00', '#D55E00'][TASKS.indexOf(tasks[i])]), name: 'conversations', drills: tasks.map((k) => ({ drill: { task_completion: k }, label: TASK_LABELS[k] })) }),
      onDrill,
    }));
  }
  const p = r.privacy;
  if (p) {
    const kinds = Object.entries(p.counts).filter(([, n]) => n).sort((a, b) => b[1] - a[1]);
    out.privacy.push(chartCard({
      id: 'privacy', title: 'Personal data by type', wide: true,
      takeaway: p.total ? `${num(p.total)} items in ${num(p.messages_affected)} messages of ${num(p.conversations_affected)} conversations${p.enabled ? ', all redacted' : ''}.` : 'No personal data was found.',
      columns: ['Type', 'Items'],
      rows: kinds.map(([k, n]) => ({ label: label(k), values: [n], drill: { entity_type: k } })),
      build: () => barChart({ categories: kinds.map(([k]) => label(k)), values: kinds.map(([, n]) => n), name: 'items', drills: kinds.map(([k]) => ({ drill: { entity_type: k }, label: label(k) })) }),
      onDrill,
    }));
  }
  return out;
}

const dark = () => window.matchMedia('(prefers-color-scheme: dark)').matches;

/** Draw the dashboard of `status` (a complete job) into `el`. */
export function renderDashboard(el, status) {
  disposeCharts();
  const r = status.results;
  const onDrill = (drill) => go({ drill, conv: '' });
  const groups = charts(r, onDrill);
  const section = (title, cards) => (cards.length
    ? [h('h2', { class: 'section-title' }, title), h('div', { class: 'grid' }, cards)]
    : []);
  mount(el,
    summaryCards(r),
    section('When?', groups.when),
    section('What about?', groups.what),
    section('How did it go?', groups.how),
    section('Assistants and models', compareCards(r, onDrill)),
    section('Privacy', groups.privacy));
  // Charts are drawn as they come near the viewport: the first screen is usable at
  // once, however many charts lie below it. The chart library is requested by the first
  // draw, after the cards were painted (see charts.js).
  const cards = [...el.querySelectorAll('.chart-card')];
  if (!('IntersectionObserver' in window)) { for (const c of cards) c.draw(); return; }
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      entry.target.draw();
    }
  }, { rootMargin: '300px 0px' });
  for (const c of cards) observer.observe(c);
}
