/*
 * DOM builders of the dashboard: proxy state in, nodes out. Every string from
 * the proxy goes on the page as a text node or an attribute value, never as HTML.
 */

/** el('td', { class: 'x', 'aria-label': 'y', onclick: f }, child, 'text', ...); null/false children and attributes are skipped. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (k in node && typeof v === 'boolean') node[k] = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

const badge = (text, kind) => el('span', { class: `badge badge-${kind}` }, text);

// ---- time ---------------------------------------------------------------
export const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '—');

function ago(iso) {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A relative time that `tickClocks` keeps current; the exact time is in the tooltip. */
const when = (iso) => el('time', { datetime: iso, title: iso ? new Date(iso).toLocaleString() : undefined, 'data-ago': iso }, ago(iso));

/** Re-writes every relative time on the page (call once a second). */
export function tickClocks() {
  for (const t of document.querySelectorAll('[data-ago]')) t.textContent = ago(t.getAttribute('data-ago'));
}

// ---- the active target ----------------------------------------------------
export function activeView(s, httpSessions) {
  const fb = s.failback || {};
  const fact = (term, ...value) => [el('dt', {}, term), el('dd', {}, ...value)];
  return [
    el('p', { class: 'active-name' }, el('strong', { id: 'active-target' }, s.active.target), ' ', badge('ACTIVE', 'active')),
    el(
      'dl',
      { class: 'facts' },
      fact('Since', clock(s.active.since), ' (', when(s.active.since), ')'),
      [el('dt', {}, 'Why'), el('dd', { id: 'active-reason' }, s.active.reason)],
      fact('Failed rounds', `${s.activeFailures} of ${s.failoverThreshold} before failover`),
      fact('Failback', fb.policy === 'auto' ? `automatic, after ${fb.afterHealthyChecks} healthy rounds` : 'manual'),
      fact('HTTP sessions', httpSessions ?? '—'),
    ),
  ];
}

// ---- targets and workers --------------------------------------------------
/** The worker table's columns; narrow screens show each cell's label beside it (data-label). */
const COLUMNS = ['Worker', 'Status', 'Latency', 'Last check', 'Status since', 'Last error', 'New sessions', 'Action'];

/**
 * One target's card. `ui`: { forced: Set of targets whose force box is ticked,
 * busy: Set of button ids with a call in flight, onForce(target, checked),
 * onSwitch(target, buttonId, force), onDrained(worker, drain, buttonId) }.
 */
export function targetView(t, active, ui) {
  const isActive = t.name === active;
  const forceId = `force-${t.name}`;
  const switchId = `switch-${t.name}`;
  const force = t.healthy
    ? null
    : el(
        'label',
        { class: 'force', for: forceId },
        el('input', { type: 'checkbox', id: forceId, checked: ui.forced.has(t.name), onchange: (e) => ui.onForce(t.name, e.target.checked) }),
        ' force (target is unhealthy)',
      );
  const switchButton = el(
    'button',
    {
      type: 'button',
      id: switchId,
      class: 'primary',
      disabled: ui.busy.has(switchId),
      onclick: () => ui.onSwitch(t.name, switchId, !t.healthy && ui.forced.has(t.name)),
    },
    `Switch to ${t.name}`,
  );
  return el(
    'article',
    { class: `target${isActive ? ' is-active' : ''}`, 'data-target': t.name, 'aria-labelledby': `target-${t.name}` },
    el(
      'header',
      { class: 'target-head' },
      el('h3', { id: `target-${t.name}` }, t.name),
      isActive ? badge('ACTIVE', 'active') : null,
      el('span', { 'data-field': 'health' }, t.healthy ? badge('healthy', 'up') : badge('unhealthy', 'down')),
      el(
        'span',
        { class: 'muted', 'data-field': 'passing' },
        `${t.passing}/${t.workers.length} workers passing (needs ${t.minHealthy}) · priority ${t.priority} · ${t.healthy ? 'healthy' : 'unhealthy'} since `,
        when(t.since),
      ),
      isActive ? null : el('div', { class: 'target-actions' }, force, switchButton),
    ),
    el(
      'table',
      { class: 'workers', 'aria-label': `Workers of ${t.name}` },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          COLUMNS.map((h) => el('th', { scope: 'col' }, h)),
        ),
      ),
      el(
        'tbody',
        {},
        t.workers.map((w) => workerRow(w, ui)),
      ),
    ),
  );
}

function workerRow(w, ui) {
  const id = `${w.drained ? 'enable' : 'drain'}-${w.name}`;
  const action = w.drained ? 'Enable' : 'Drain';
  const cells = [
    [{ 'data-field': 'status' }, el('span', { class: `status status-${w.status}` }, el('span', { class: 'dot', 'aria-hidden': 'true' }), w.status)],
    [{ 'data-field': 'latency' }, w.latencyMs === undefined ? '—' : `${w.latencyMs} ms`],
    [{}, when(w.lastCheck)],
    [{}, when(w.since)],
    [{ 'data-field': 'error', class: w.lastError && w.status === 'down' ? 'error-text' : 'muted' }, w.lastError || '—'],
    [{ 'data-field': 'drained' }, w.drained ? badge('drained', 'drained') : 'accepting'],
    [
      {},
      el(
        'button',
        { type: 'button', id, disabled: ui.busy.has(id), 'aria-label': `${action} worker ${w.name}`, onclick: () => ui.onDrained(w.name, !w.drained, id) },
        action,
      ),
    ],
  ];
  return el(
    'tr',
    { 'data-worker': w.name, class: `worker-${w.status}` },
    el('th', { scope: 'row' }, w.name, el('div', { class: 'muted small' }, `${w.host} · mcp ${w.mcpPort} · http ${w.httpPort}`)),
    cells.map(([attrs, content], i) => el('td', { ...attrs, 'data-label': COLUMNS[i + 1] }, content)),
  );
}

// ---- events -----------------------------------------------------------------
/** A ProxyEvent (see services/proxy/src/controller.ts) as [sentence, colour kind]. */
function describe(e) {
  switch (e.type) {
    case 'worker':
      return [`worker ${e.worker} (${e.target}) is ${e.status}${e.error ? `: ${e.error}` : ''}`, e.status === 'up' ? 'up' : 'down'];
    case 'target':
      return [`target ${e.target} is ${e.healthy ? 'healthy' : 'unhealthy'}`, e.healthy ? 'up' : 'down'];
    case 'switch':
      return [`${e.kind}: active target ${e.from} → ${e.to} (${e.reason})`, e.kind === 'failover' ? 'warn' : 'info'];
    case 'drain':
    case 'enable':
      return [`worker ${e.worker} ${e.type === 'drain' ? 'drained' : 'enabled'} by ${e.by}`, 'info'];
    case 'no_healthy_target':
      return [`no healthy target to fail over to; ${e.active} stays active`, 'down'];
    case 'haproxy':
      return [`HAProxy: ${e.message}`, e.ok ? 'up' : 'down'];
    default:
      return [JSON.stringify(e), 'info'];
  }
}

/** The newest `max` events (the list is oldest first), newest first. */
export function eventItems(events, max) {
  const items = events
    .slice(-max)
    .reverse()
    .map((e) => {
      const [text, kind] = describe(e);
      return el(
        'li',
        { class: `event event-${kind}`, 'data-type': e.type },
        el('time', { datetime: e.time, title: e.time }, clock(e.time)),
        badge(e.type, kind),
        el('span', { class: 'event-text' }, text),
      );
    });
  return items.length ? items : [el('li', { class: 'muted' }, 'No events yet.')];
}
