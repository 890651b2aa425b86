/*
 * The proxy's live dashboard. State comes from GET /api/proxy/status and the
 * /ws event stream ({type:"hello", status} first, then every ProxyEvent); each
 * event triggers a re-fetch, so the page follows the proxy without a reload.
 * Mutating calls send the admin token as a Bearer header; the token lives in
 * sessionStorage only (this tab), never in the URL or localStorage.
 */
import { activeView, el, eventItems, targetView, tickClocks } from './render.js';

const TOKEN_KEY = 'moodle-mcp-proxy.adminToken';
const EVENTS_SHOWN = 30;
/** Reconnect delays of /ws, ms: doubled after each failed attempt up to the maximum (±20 % jitter). */
const BACKOFF = { first: 500, max: 10_000 };
/** Latencies and last-check times change without events; re-read them this often, ms. */
const POLL_MS = 5_000;

const $ = (id) => document.getElementById(id);
const view = { status: null, events: [], httpSessions: null };
/** Kept across re-renders: targets whose force box is ticked, and button ids with a call in flight. */
const ui = {
  forced: new Set(),
  busy: new Set(),
  onForce: (target, checked) => (checked ? ui.forced.add(target) : ui.forced.delete(target)),
  onSwitch: (target, id, force) => switchTo(target, id, force),
  onDrained: (worker, drain, id) =>
    call(id, `${drain ? 'Drain' : 'Enable'} worker ${worker}`, `/api/proxy/workers/${encodeURIComponent(worker)}/${drain ? 'drain' : 'enable'}`),
};

function render() {
  const s = view.status;
  if (!s) return;
  // Re-rendering replaces the buttons: give focus back to the one the operator was on.
  const focused = document.activeElement && document.activeElement.id;
  $('active').replaceChildren(...activeView(s, view.httpSessions));
  $('targets').replaceChildren(...s.targets.map((t) => targetView(t, s.active.target, ui)));
  $('events').replaceChildren(...eventItems(view.events, EVENTS_SHOWN));
  if (focused && $(focused)) $(focused).focus();
}
setInterval(tickClocks, 1000);

// ---- state from the proxy -------------------------------------------------
let fetching = null;
let again = false;
/** Re-reads /api/proxy/status; a call during a read schedules one more read, so bursts coalesce. */
function refresh() {
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    try {
      const res = await fetch('/api/proxy/status', { cache: 'no-store', headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      view.status = body;
      view.events = body.events || [];
      view.httpSessions = body.httpSessions;
      render();
    } catch (err) {
      console.warn('cannot read /api/proxy/status', err);
    } finally {
      fetching = null;
      if (again) {
        again = false;
        void refresh();
      }
    }
  })();
  return fetching;
}

let connected = false;
let delay = BACKOFF.first;
let attempt = 0;
setInterval(() => connected && refresh(), POLL_MS);

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`);
  ws.onopen = () => {
    connected = true;
    delay = BACKOFF.first;
    attempt = 0;
    setConnection('live', 'live');
  };
  ws.onmessage = (m) => {
    let msg;
    try {
      msg = JSON.parse(m.data);
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      view.status = msg.status;
    } else {
      view.events.push(msg);
    }
    render();
    // The hello carries no events, and an event means the state changed: re-read both.
    void refresh();
  };
  ws.onclose = () => {
    connected = false;
    attempt += 1;
    const wait = delay * (0.8 + Math.random() * 0.4);
    delay = Math.min(BACKOFF.max, delay * 2);
    const stale = view.status ? ' The state below may be out of date.' : '';
    setConnection('down', 'disconnected', `Disconnected — reconnecting in ${Math.ceil(wait / 1000)} s (attempt ${attempt}).${stale}`);
    setTimeout(connect, wait);
  };
}

function setConnection(state, label, banner) {
  const c = $('connection');
  c.dataset.state = state;
  c.textContent = label;
  $('banner').hidden = !banner;
  $('banner').textContent = banner || '';
  document.body.classList.toggle('stale', state === 'down');
}

// ---- operator actions -------------------------------------------------------
const token = () => sessionStorage.getItem(TOKEN_KEY) || '';
function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  $('token').value = '';
  $('token-state').textContent = token() ? 'set for this browser tab' : 'not set — switches, drains and enables ask for it';
}
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('token').value.trim());
});
$('token-forget').addEventListener('click', () => setToken(''));

/** The outcome of the last action: the API's words first, then what to do on this page. */
function say(text, kind, hint) {
  const m = $('message');
  m.hidden = false;
  m.className = `message message-${kind}`;
  m.setAttribute('aria-live', kind === 'error' ? 'assertive' : 'polite');
  m.replaceChildren(el('span', {}, text));
  if (hint) m.append(' ', el('span', { class: 'hint' }, hint));
}

/** One mutating API call; shows the API's own error message when it refuses. Resolves to whether it succeeded. */
async function call(id, what, path, body) {
  ui.busy.add(id);
  render();
  const headers = { accept: 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(path, { method: 'POST', headers, body: body && JSON.stringify(body) });
    const answer = await res.json().catch(() => ({}));
    if (res.ok) {
      say(`${what}: done.`, 'ok');
      return true;
    }
    let hint = '';
    if (res.status === 401) {
      hint = token() ? 'The token was refused and is forgotten; enter the right one above.' : 'Enter the admin token above.';
      setToken('');
      $('token').focus();
    } else if (answer.error === 'target_unhealthy') {
      hint = 'On this page: tick "force" beside the button to switch anyway.';
    }
    say(`${what} refused (HTTP ${res.status} ${answer.error || res.statusText}): ${answer.message || 'no details'}`, 'error', hint);
    return false;
  } catch (err) {
    say(`${what} failed: the proxy did not answer (${err.message}).`, 'error');
    return false;
  } finally {
    ui.busy.delete(id);
    await refresh();
  }
}

async function switchTo(target, id, force) {
  const body = force ? { target, force: true } : { target };
  if (await call(id, `Switch to ${target}${force ? ' (forced)' : ''}`, '/api/proxy/switch', body)) ui.forced.delete(target);
}

setToken(token());
connect();
