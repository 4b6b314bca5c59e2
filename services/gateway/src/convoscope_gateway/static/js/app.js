// ConvoScope web app: a single page whose state lives in the URL (see state.js).
import { setApiKey } from './api.js';
import { announce, h, mount } from './dom.js';
import { renderJob } from './job.js';
import { renderManage } from './manage.js';
import { readState } from './state.js';
import { renderUpload } from './upload.js';

const main = document.getElementById('main');

function markNav(view) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function render() {
  const state = readState();
  markNav(state.view === 'job' ? '' : state.view);
  try {
    if (state.view === 'manage') await renderManage(main);
    else if (state.job) await renderJob(main);
    else renderUpload(main);
  } catch (err) {
    mount(main, h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, err.message),
      h('p', {}, h('a', { href: '/?view=upload' }, 'Back to upload')));
  }
}

function openKeyDialog() {
  const dialog = document.getElementById('key-dialog');
  if (!dialog.open) dialog.showModal();
}

document.getElementById('key-button').addEventListener('click', openKeyDialog);
document.getElementById('key-dialog').addEventListener('close', () => {
  const dialog = document.getElementById('key-dialog');
  const input = document.getElementById('key-input');
  if (dialog.returnValue === 'save' && input.value) { setApiKey(input.value.trim()); announce('API key saved for this tab.'); render(); }
  if (dialog.returnValue === 'clear') { setApiKey(''); announce('API key forgotten.'); }
  input.value = '';
});
window.addEventListener('convoscope:need-key', openKeyDialog);
window.addEventListener('convoscope:navigate', () => { render(); window.scrollTo(0, 0); });
window.addEventListener('popstate', () => { window.dispatchEvent(new CustomEvent('convoscope:navigate')); });
// Internal links of the header navigate without reloading.
for (const link of document.querySelectorAll('[data-nav]')) {
  link.addEventListener('click', (e) => {
    e.preventDefault();
    window.history.pushState(null, '', link.getAttribute('href'));
    window.dispatchEvent(new CustomEvent('convoscope:navigate'));
  });
}
render();
