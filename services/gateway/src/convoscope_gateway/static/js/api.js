// The REST API on the same origin. The API key (when the server asks for one) lives in
// this tab's sessionStorage and travels in the X-API-Key header, never in a URL.

const KEY = 'convoscope.apiKey';

export const apiKey = () => sessionStorage.getItem(KEY) || '';
export function setApiKey(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** An error answered by the API: status, machine code and the API's own sentence. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The server answered ${status}.`);
    this.status = status;
    this.code = (body && body.error) || 'error';
  }
}

function headers(extra = {}) {
  const out = { ...extra };
  const key = apiKey();
  if (key) out['X-API-Key'] = key;
  return out;
}

async function failure(resp) {
  let body = null;
  try { body = await resp.json(); } catch { /* not JSON */ }
  if (resp.status === 401) window.dispatchEvent(new CustomEvent('convoscope:need-key'));
  return new ApiError(resp.status, body);
}

/** JSON in, JSON out; throws ApiError with the API's message. */
export async function api(path, { method = 'GET', json, params, signal } = {}) {
  let url = path;
  if (params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      for (const v of [].concat(value)) if (v !== undefined && v !== null && v !== '') query.append(name, v);
    }
    const text = query.toString();
    if (text) url += `?${text}`;
  }
  const init = { method, headers: headers(json ? { 'Content-Type': 'application/json' } : {}), signal };
  if (json) init.body = JSON.stringify(json);
  return answer(await fetch(url, init));
}

/** The JSON of a response already requested (see prefetch.js); throws ApiError like api(). */
export async function answer(resp) {
  if (!resp.ok) throw await failure(resp);
  return resp.json();
}

/** POST a file as multipart with upload progress (fetch cannot report upload progress). */
export function uploadFile(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    const key = apiKey();
    if (key) xhr.setRequestHeader('X-API-Key', key);
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else {
        if (xhr.status === 401) window.dispatchEvent(new CustomEvent('convoscope:need-key'));
        reject(new ApiError(xhr.status, xhr.response));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { message: 'The upload could not reach the server.' })));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Fetch a file with the key header and save it, reporting bytes received. */
export async function download(url, filename, onProgress) {
  const resp = await fetch(url, { headers: headers() });
  if (!resp.ok) throw await failure(resp);
  const total = Number(resp.headers.get('Content-Length')) || 0;
  const reader = resp.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received, total);
  }
  const blob = new Blob(chunks, { type: resp.headers.get('Content-Type') || 'application/octet-stream' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return received;
}
