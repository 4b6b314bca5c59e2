// Tiny DOM helpers: elements are built with textContent only (no innerHTML), so
// redacted text and titles can never become markup.

/** Create an element: h('a', {href: '/'}, 'text', child). `on*` attributes bind listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace the children of `el`. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const numberFormat = new Intl.NumberFormat();
/** 12,345 */
export const num = (n) => (n === null || n === undefined ? '–' : numberFormat.format(n));
/** 12.3 % */
export const pct = (x, digits = 1) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)} %`);
const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });
/** "Portuguese" for "pt" (the browser's own names; the code when it has none). */
export function languageName(code) {
  if (!code || code === 'unknown') return 'unknown language';
  try { return languageNames.of(code) || code; } catch { return code; }
}
/** 1.2 MB */
export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}
/** A date-time in the reader's locale. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

let statusTimer = 0;
/** Say something in the polite live region (and show it briefly). */
export function announce(text) {
  const box = document.getElementById('status');
  box.textContent = text;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { box.textContent = ''; }, 5000);
}
