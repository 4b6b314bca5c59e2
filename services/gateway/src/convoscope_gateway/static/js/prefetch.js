// Loaded before the app's other modules (no imports): when the URL names a job, its status
// and light results document are requested at once, while the modules of the page are
// still being fetched and compiled, instead of after them.

const KEY = 'convoscope.apiKey';
let pending = null;

const query = new URLSearchParams(window.location.search);
const job = query.get('job');
if (job && !query.get('view')) {
  const key = sessionStorage.getItem(KEY);
  const response = fetch(`/api/analysis/${encodeURIComponent(job)}`, { headers: key ? { 'X-API-Key': key } : {} });
  response.catch(() => {}); // a failed early request is simply not used (see takePrefetched)
  pending = { job, key: key || '', response };
}

/** The early response for `jobId` (once), if it was made with the current API key. */
export function takePrefetched(jobId) {
  const found = pending;
  pending = null;
  if (!found || found.job !== jobId || found.key !== (sessionStorage.getItem(KEY) || '')) return null;
  return found.response;
}
