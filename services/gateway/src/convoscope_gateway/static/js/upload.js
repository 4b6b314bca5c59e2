// Upload: drag & drop or pick a file, see bytes sent and what was found, then start.
import { api, uploadFile } from './api.js';
import { bytes, h, mount, num, when } from './dom.js';
import { go } from './state.js';

/** Parse health in plain words. */
export function healthWords(meta) {
  const health = meta.parse_health || {};
  const words = [];
  const skipped = health.items_skipped || 0;
  if (skipped) {
    const reasons = Object.entries(health.skipped_reasons || {}).map(([r, n]) => `${num(n)} ${r.replaceAll('_', ' ')}`);
    words.push(`${num(skipped)} item${skipped > 1 ? 's were' : ' was'} skipped${reasons.length ? ` (${reasons.join(', ')})` : ''}`);
  }
  const unknown = Object.keys(health.unknown_block_types || {});
  if (unknown.length) words.push(`${unknown.length} block type${unknown.length > 1 ? 's were' : ' was'} new and ${unknown.length > 1 ? 'were' : 'was'} skipped (${unknown.join(', ')})`);
  if (health.abandoned_messages) words.push(`${num(health.abandoned_messages)} messages on abandoned branches are counted, not shown`);
  if (health.hidden_messages) words.push(`${num(health.hidden_messages)} hidden messages (system, tool traffic) were left out`);
  return words.length ? `${words.join('; ')}.` : 'Everything in the file was read.';
}

function optionsForm() {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const check = (id, text, on = true) => h('label', { class: 'check', for: id }, h('input', { type: 'checkbox', id, checked: on }), text);
  return h('details', {},
    h('summary', {}, 'Options'),
    h('div', { class: 'stack' },
      h('div', { class: 'field' }, h('label', { for: 'opt-tz' }, 'Timezone'), h('input', { type: 'text', id: 'opt-tz', value: tz, autocomplete: 'off' })),
      check('opt-privacy', 'Redact personal data (privacy)'),
      check('opt-quality', 'Quality and failures'),
      check('opt-temporal', 'Time patterns'),
      check('opt-vis', 'Chart data')));
}

function readOptions(root) {
  const v = (id) => root.querySelector(`#${id}`);
  return {
    timezone: v('opt-tz').value.trim() || 'UTC',
    enable_privacy: v('opt-privacy').checked,
    enable_quality: v('opt-quality').checked,
    enable_temporal: v('opt-temporal').checked,
    enable_visualizations: v('opt-vis').checked,
  };
}

/** The upload page. */
export function renderUpload(main) {
  const input = h('input', { type: 'file', id: 'file-input', accept: '.json,.zip,application/json,application/zip', class: 'visually-hidden-file' });
  const zone = h('div', { class: 'dropzone', id: 'dropzone' },
    h('p', {}, h('strong', {}, 'Drop your export here')),
    h('p', { class: 'muted' }, 'The claude.ai export ZIP, its conversations.json, or a ChatGPT export.'),
    h('p', {}, h('label', { for: 'file-input' }, 'Or choose a file: '), input));
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const status = h('p', { id: 'upload-status', 'aria-live': 'polite' });
  const result = h('div', { id: 'upload-result' });
  const options = optionsForm();
  mount(main,
    h('h1', {}, 'Analyse your conversations'),
    h('p', { class: 'muted' }, 'Your file stays on this server. Personal data is redacted unless you turn that off.'),
    zone, progress, status, result);

  const start = async (fileId) => {
    const btn = result.querySelector('#start');
    btn.disabled = true;
    try {
      const job = await api('/api/analysis', { method: 'POST', json: { file_id: fileId, options: readOptions(result) } });
      go({ view: 'job', job: job.job_id, filters: {}, drill: {}, conv: '' });
    } catch (err) {
      status.textContent = err.message;
      status.className = 'error';
      btn.disabled = false;
    }
  };

  const send = async (file) => {
    progress.hidden = false;
    progress.max = file.size || 1;
    progress.value = 0;
    status.className = '';
    mount(result);
    try {
      const up = await uploadFile(file, (done, total) => {
        progress.max = total || 1;
        progress.value = done;
        status.textContent = done < total ? `Sent ${bytes(done)} of ${bytes(total)}` : `Sent ${bytes(total)}; reading the export…`;
      });
      const m = up.metadata;
      status.textContent = `Uploaded ${file.name}.`;
      const earlier = (await api('/api/analyses', { params: { file_id: up.file_id } })).items;
      const done = earlier.find((j) => j.status === 'complete');
      mount(result, h('section', { class: 'panel stack', 'aria-labelledby': 'found-title' },
        h('h2', { id: 'found-title' }, 'What we found'),
        h('p', {}, `${num(m.conversations)} conversations, ${num(m.messages)} messages`,
          m.date_range.length ? `, from ${m.date_range[0]} to ${m.date_range[m.date_range.length - 1]}` : '',
          ` (${m.source} export, ${m.format.replaceAll('_', ' ')}, ${bytes(m.size)}).`),
        h('p', { id: 'parse-health' }, healthWords(m)),
        done ? h('p', { class: 'ok', id: 'already' }, `Already uploaded — analysed ${when(done.created_at)}. `,
          h('a', { href: `?job=${encodeURIComponent(done.job_id)}`, onclick: (e) => { e.preventDefault(); go({ view: 'job', job: done.job_id, filters: {}, drill: {}, conv: '' }); } }, 'Open its results')) : null,
        options,
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'button primary', id: 'start', onclick: () => start(up.file_id) }, done ? 'Analyse again' : 'Start analysis'))));
    } catch (err) {
      status.textContent = err.message;
      status.className = 'error';
    } finally {
      progress.hidden = true;
    }
  };

  input.addEventListener('change', () => { if (input.files[0]) send(input.files[0]); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (file) send(file);
  });
}
