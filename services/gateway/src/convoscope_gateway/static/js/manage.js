// My uploads and analyses, with delete.
import { api } from './api.js';
import { announce, bytes, h, mount, num, when } from './dom.js';
import { go } from './state.js';

async function remove(path, what) {
  if (!window.confirm(`Delete ${what}? This cannot be undone.`)) return false;
  await api(path, { method: 'DELETE' });
  announce(`Deleted ${what}.`);
  return true;
}

/** The manage page. */
export async function renderManage(main) {
  mount(main, h('h1', {}, 'My uploads & analyses'), h('p', { class: 'muted' }, 'Loading…'));
  const [uploads, analyses] = await Promise.all([api('/api/uploads', { params: { limit: 500 } }), api('/api/analyses', { params: { limit: 500 } })]);
  const again = () => renderManage(main).catch((err) => announce(err.message));
  const uploadRows = uploads.items.map((u) => h('tr', {},
    h('th', { scope: 'row' }, u.filename || u.file_id),
    h('td', { class: 'num' }, num(u.metadata.conversations)),
    h('td', { class: 'num' }, bytes(u.metadata.size)),
    h('td', {}, when(u.created_at)),
    h('td', { class: 'num' }, num(u.analyses)),
    h('td', {}, h('button', {
      type: 'button', class: 'button danger', dataset: { deleteUpload: u.file_id },
      'aria-label': `Delete upload ${u.filename || u.file_id} and everything made from it`,
      onclick: async () => { if (await remove(`/api/upload/${encodeURIComponent(u.file_id)}`, `the upload ${u.filename || u.file_id} and everything made from it`)) again(); },
    }, 'Delete'))));
  const jobRows = analyses.items.map((j) => h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `?job=${encodeURIComponent(j.job_id)}`, onclick: (e) => { e.preventDefault(); go({ view: 'job', job: j.job_id, filters: {}, drill: {}, conv: '' }); } }, j.filename || j.job_id)),
    h('td', {}, j.status),
    h('td', {}, j.timezone),
    h('td', {}, j.enable_privacy ? 'redacted' : 'not redacted'),
    h('td', {}, when(j.created_at)),
    h('td', {}, h('button', {
      type: 'button', class: 'button danger', dataset: { deleteJob: j.job_id },
      'aria-label': `Delete analysis ${j.job_id}`,
      onclick: async () => { if (await remove(`/api/analysis/${encodeURIComponent(j.job_id)}`, `the analysis ${j.job_id}`)) again(); },
    }, j.status === 'pending' || j.status === 'processing' ? 'Cancel' : 'Delete'))));
  const table = (caption, head, rows, empty) => (rows.length
    ? h('div', { class: 'table-wrap' }, h('table', { class: 'data-table' }, h('caption', { class: 'muted' }, caption),
      h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows)))
    : h('p', { class: 'muted' }, empty));
  mount(main,
    h('h1', {}, 'My uploads & analyses'),
    h('section', { class: 'stack', 'aria-labelledby': 'uploads-title' }, h('h2', { id: 'uploads-title' }, `Uploads (${num(uploads.total)})`),
      table('Uploads, newest first', ['File', 'Conversations', 'Size', 'Uploaded', 'Analyses', 'Action'], uploadRows, 'No uploads yet.')),
    h('section', { class: 'stack', 'aria-labelledby': 'analyses-title' }, h('h2', { id: 'analyses-title', class: 'section-title' }, `Analyses (${num(analyses.total)})`),
      table('Analyses, newest first', ['Analysis', 'Status', 'Timezone', 'Privacy', 'Started', 'Action'], jobRows, 'No analyses yet.')));
}
