// The dashboard's shell: the token, the JSON API, the websocket, the router.
// Every page is a function in pages.js that renders into <main> and returns
// a cleanup (its live subscriptions end when another page opens).
import { Live } from './live.js';
import { PAGES } from './pages.js';

const TOKEN_KEY = 'plexspaces.dashboard.token';

/** The token the page holds for this tab (sessionStorage: gone when the tab closes). */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A JSON API call with the page's token; rejects with the node's `{ error: { code, message } }`. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text === '' ? null : JSON.parse(text);
  if (!response.ok) {
    const error = json?.error ?? { code: `HTTP ${response.status}`, message: text };
    throw Object.assign(new Error(`${error.code}: ${error.message}`), { code: error.code, status: response.status });
  }
  return json;
}

const liveState = document.getElementById('live-state');
export const live = new Live(token, (on) => {
  liveState.textContent = on ? '● live' : '○ offline';
  liveState.classList.toggle('on', on);
});

/** `el('td', { class: 'num' }, 'text', child…)`: a DOM element; text children are set as text, never as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * A table sortable by any column (click a header) and filtered by `filter`
 * (a text every cell is matched against). `columns`: { key, label, num?,
 * cell?(row) }. Returns { node, update(rows), setFilter(text) }.
 */
export function sortableTable(columns, { testid, rowKey } = {}) {
  let rows = [];
  let sort = { key: columns[0].key, dir: 1 };
  let filter = '';
  const head = el('tr');
  const body = el('tbody');
  const node = el('table', { 'data-testid': testid }, el('thead', {}, head), body);
  for (const column of columns) {
    const th = el('th', { class: `sortable${column.num ? ' num' : ''}`, 'data-key': column.key, onclick: () => {
      sort = { key: column.key, dir: sort.key === column.key ? -sort.dir : 1 };
      render();
    } }, column.label);
    head.append(th);
  }
  const value = (row, key) => row[key];
  function render() {
    for (const th of head.children) {
      th.classList.toggle('sorted-asc', th.dataset.key === sort.key && sort.dir > 0);
      th.classList.toggle('sorted-desc', th.dataset.key === sort.key && sort.dir < 0);
    }
    const needle = filter.trim().toLowerCase();
    const shown = rows
      .filter((row) => needle === '' || columns.some((c) => String(value(row, c.key) ?? '').toLowerCase().includes(needle)))
      .sort((a, b) => {
        const x = value(a, sort.key);
        const y = value(b, sort.key);
        if (typeof x === 'number' && typeof y === 'number') return (x - y) * sort.dir;
        return String(x ?? '').localeCompare(String(y ?? '')) * sort.dir;
      });
    body.replaceChildren(
      ...(shown.length === 0
        ? [el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, rows.length === 0 ? 'nothing here yet' : 'no row matches the filter'))]
        : shown.map((row) => el('tr', { 'data-row': rowKey?.(row) }, ...columns.map((c) => el('td', { class: c.num ? 'num' : undefined, 'data-col': c.key }, c.cell ? c.cell(row) : (value(row, c.key) ?? '—')))))),
    );
  }
  render();
  return {
    node,
    update(next) {
      rows = next;
      render();
    },
    setFilter(text) {
      filter = text;
      render();
    },
  };
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return n < 1 << 30 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / (1 << 30)).toFixed(2)} GiB`;
}
export const formatSeconds = (s) => (s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`);

/** Shows an error in place of (or inside) a page. */
export function errorBox(error) {
  return el('p', { class: 'error', 'data-testid': 'error' }, error instanceof Error ? error.message : String(error));
}

// ── the token form ───────────────────────────────────────────────────────────

const tokenForm = document.getElementById('token-form');
const tokenInput = document.getElementById('token-input');
tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = tokenInput.value.trim();
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  tokenInput.value = '';
  live.reconnect();
  route();
});
document.getElementById('token-clear').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  if (authRequired) live.disconnect();
  else live.reconnect();
  route();
});

// ── the router ───────────────────────────────────────────────────────────────

const main = document.getElementById('main');
let cleanup = () => undefined;
let authRequired = false;
/** Counts route() calls: only the latest visit keeps its cleanup. */
let visits = 0;

async function route() {
  cleanup();
  cleanup = () => undefined;
  delete document.body.dataset.page;
  const [name = 'overview', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  for (const link of document.querySelectorAll('#nav a')) link.classList.toggle('active', link.dataset.page === (name === 'actor' ? 'actors' : name));
  if (authRequired && !token()) {
    main.replaceChildren(el('h1', {}, 'A token is needed'), el('p', { 'data-testid': 'token-needed' }, 'This node runs with auth on: paste a bearer token (JWT) above. It is kept for this tab only (sessionStorage). A tenant’s token shows that tenant’s rows; an operator’s shows every tenant’s.'));
    document.body.dataset.page = location.hash;
    return;
  }
  const page = PAGES[name] ?? PAGES.overview;
  // Each visit renders into its own element: a page still loading when the next one opens
  // finishes into an element no longer shown, and its subscriptions end at once.
  const view = el('div', { class: 'view' }, el('p', { class: 'muted' }, 'loading…'));
  main.replaceChildren(view);
  const visit = ++visits;
  try {
    const done = (await page(view, params)) ?? (() => undefined);
    if (visit === visits) cleanup = done;
    else done();
  } catch (error) {
    view.replaceChildren(errorBox(error));
  }
  // Which page is on screen, once it has rendered (what a test or a script waits for).
  if (visit === visits) document.body.dataset.page = location.hash;
}

window.addEventListener('hashchange', route);
const session = await api('/api/v1/dashboard/session');
authRequired = session.authRequired;
tokenForm.hidden = !authRequired;
// Without a token the upgrade would be refused (401): the socket opens once there is one.
if (!authRequired || token()) live.connect();
await route();
document.body.dataset.ready = 'true';
