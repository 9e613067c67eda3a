// The operator console: everything it shows comes from the broker's API with
// the key it signs in with, so it shows only that key's tenant's objects and
// only the controls its role may use. Live through the event stream
// (GET /v1/events/stream, read with fetch so the key goes in a header, which
// EventSource cannot send), resumed with Last-Event-ID; when the stream
// cannot be held it polls instead. No library, no build step.
'use strict';

const POLL_MS = 5000;        // the fallback's period, and the providers' refresh
const TRAIL_KEPT = 200;      // events shown
const OPERATIONS_SHOWN = 12;

const state = {
  key: sessionStorage.getItem('icb-key') || '',
  caller: null,
  lastEventId: null,
  seen: new Set(),             // event ids shown (the poll and the stream may overlap)
  events: [],                  // newest first
  newestAt: null,              // the newest event's time (the poll asks from it)
  workloads: [],
  readiness: new Map(),
  providers: [],
  operations: new Map(),       // id -> operation (with rto once read)
  decisions: new Map(),        // operation id -> decision events
  open: new Set(),             // operations whose details are unfolded
  streamAbort: null,
  refreshTimer: null,
};

const $ = (id) => document.getElementById(id);

// Elements from data, never from markup text: nothing a provider or a client
// named can become script.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const seconds = (s) => (s === undefined || s === null ? '–' : `${Number(s).toFixed(1)} s`);
const percent = (p) => (p === undefined || p === null ? '–' : `${Number(p).toFixed(3)} %`);
const clockTime = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '');

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const type = res.headers.get('Content-Type') || '';
  const payload = type.includes('json') ? await res.json() : await res.text();
  if (res.status === 401) signedOut(state.key ? 'That key was refused (revoked, or not a key of this broker).' : 'This broker asks for an API key.');
  if (!res.ok) {
    const detail = payload && payload.detail ? payload.detail : `${res.status}`;
    const errors = payload && payload.errors ? payload.errors.map((e) => `${e.pointer || ''} ${e.detail || e.message || ''}`).join('; ') : '';
    throw new Error(errors ? `${detail}: ${errors}` : detail);
  }
  return payload;
}

// Every page of a list route (limit, next).
async function listAll(path, name, most = 10) {
  const out = [];
  let after = null;
  for (let i = 0; i < most; i += 1) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=500${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    out.push(...(page[name] || []));
    if (!page.next) break;
    after = page.next;
  }
  return out;
}

// ---- sign-in ---------------------------------------------------------------

function signedOut(why) {
  if (state.streamAbort) state.streamAbort.abort();
  state.key = '';
  sessionStorage.removeItem('icb-key');
  $('console').hidden = true;
  $('sign-in').hidden = false;
  $('sign-out').hidden = true;
  $('who').textContent = 'not signed in';
  $('sign-in-error').textContent = why || '';
  setLive('offline');
}

async function signIn() {
  let caller;
  try {
    caller = await api('GET', '/v1/caller');
  } catch (e) {
    if (!$('console').hidden || state.key) $('sign-in-error').textContent = e.message;
    $('sign-in').hidden = false;
    return;
  }
  state.caller = caller;
  const canOperate = caller.role === 'admin' || caller.role === 'operator';
  document.body.classList.toggle('reader', !canOperate);
  for (const note of document.querySelectorAll('.read-only-note')) note.hidden = canOperate;
  $('who').textContent = caller.auth === 'off' ? 'no keys on this broker (demo)' : `tenant ${caller.tenant}, ${caller.role}`;
  $('sign-in').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = caller.auth === 'off';
  await Promise.allSettled([loadTrail(), refreshAll(), loadProfiles()]);
  live();
}

// ---- live: the stream, else polling -----------------------------------------

function setLive(mode) {
  const text = { live: 'live', polling: `polling every ${POLL_MS / 1000} s`, offline: 'offline', connecting: 'connecting…' }[mode];
  $('live').textContent = text;
  $('live').className = mode === 'live' ? 'ok' : mode === 'polling' ? 'warn' : 'bad';
  document.body.dataset.live = mode;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The stream while it can be held; after three failed connections in a
// row, polling for a minute, then the stream again.
async function live() {
  for (;;) {
    let failures = 0;
    while (!$('console').hidden) {
      try {
        setLive('connecting');
        await readStream();
        failures = 0;  // it ended after working: reconnect at once
      } catch (e) {
        if (e.name === 'AbortError') return;
        failures += 1;
      }
      if (failures >= 3) break;
      await sleep(1000 * failures);
    }
    if ($('console').hidden) return;
    await poll(60000);
  }
}

async function readStream() {
  const controller = new AbortController();
  state.streamAbort = controller;
  const headers = { Accept: 'text/event-stream' };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (state.lastEventId) headers['Last-Event-ID'] = state.lastEventId;
  const res = await fetch('/v1/events/stream', { headers, signal: controller.signal, cache: 'no-store' });
  if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
  setLive('live');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      onBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

// One Server-Sent Event (https://html.spec.whatwg.org/#event-stream-interpretation).
function onBlock(block) {
  let id = null;
  let data = '';
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') id = value;
    else if (field === 'data') data += (data ? '\n' : '') + value;
  }
  if (id !== null) state.lastEventId = id;
  if (data) addEvents([JSON.parse(data)], true);
}

async function poll(forMs) {
  setLive('polling');
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    if ($('console').hidden) return;
    try {
      const from = state.newestAt || new Date(Date.now() - 3600e3).toISOString();
      const page = await api('GET', `/v1/events?from=${encodeURIComponent(from)}&limit=500`);
      addEvents(page.events || [], true);
      await refreshAll();
      setLive('polling');
    } catch (e) {
      setLive('offline');
    }
    await sleep(POLL_MS);
  }
}

// ---- the audit trail ----------------------------------------------------------

async function loadTrail() {
  const from = new Date(Date.now() - 24 * 3600e3).toISOString();
  const events = await listAll(`/v1/events?from=${encodeURIComponent(from)}`, 'events', 5);
  addEvents(events.slice(-TRAIL_KEPT), false);
}

function addEvents(events, fresh) {
  let added = false;
  for (const e of events) {
    if (state.seen.has(e.id)) continue;
    state.seen.add(e.id);
    state.events.unshift(e);
    if (!state.newestAt || e.at > state.newestAt) state.newestAt = e.at;
    if (e.kind === 'decision' && e.operation) {
      const list = state.decisions.get(e.operation) || [];
      if (!list.some((d) => d.id === e.id)) list.push(e);  // also read with its operation
      state.decisions.set(e.operation, list);
    }
    added = true;
  }
  if (!added) return;
  state.events.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  state.events.length = Math.min(state.events.length, TRAIL_KEPT);
  renderTrail();
  if (fresh) scheduleRefresh();
}

function renderInputs(inputs) {
  if (!inputs || typeof inputs !== 'object' || Object.keys(inputs).length === 0) return null;
  const candidates = inputs.candidates || inputs.ranked;
  const parts = [];
  if (Array.isArray(candidates) && candidates.length) {
    const columns = [...new Set(candidates.flatMap((c) => Object.keys(c)))].filter((k) => typeof candidates[0][k] !== 'object');
    parts.push(h('table', { class: 'candidates' },
      h('caption', {}, 'Candidates'),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, candidates.map((c) => h('tr', {}, columns.map((k) => h('td', {}, typeof c[k] === 'number' ? +c[k].toFixed(4) : c[k])))))));
  }
  const rest = Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== 'candidates' && k !== 'ranked'));
  if (Object.keys(rest).length) parts.push(h('pre', {}, JSON.stringify(rest, null, 1)));
  return parts;
}

function eventItem(e) {
  const subject = [e.workload && `workload ${e.workload}`, e.operation && `operation ${e.operation}`, e.provider && `provider ${e.provider}`].filter(Boolean).join(', ');
  const inputs = renderInputs(e.inputs);
  return h('li', { 'data-kind': e.kind },
    h('time', { datetime: e.at }, clockTime(e.at)),
    h('span', { class: 'kind' }, e.kind), ' ', e.summary,
    subject ? h('span', { class: 'hint' }, ` (${subject}; by ${e.actor || 'broker'})`) : null,
    inputs ? h('details', {}, h('summary', {}, e.kind === 'decision' ? 'Candidates, scores and reasons' : 'Inputs'), inputs) : null);
}

function renderTrail() {
  $('event-list').replaceChildren(...state.events.map(eventItem));
}

// ---- refreshing what events change ------------------------------------------

function scheduleRefresh() {
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    refreshAll();
  }, 300);
}

async function refreshAll() {
  await Promise.allSettled([loadWorkloads(), loadOperations(), loadProviders()]);
}

async function loadWorkloads() {
  const [workloads, readiness] = await Promise.all([listAll('/v1/workloads', 'workloads'), api('GET', '/v1/readiness').catch(() => ({ workloads: [] }))]);
  state.workloads = workloads.sort((a, b) => (a.priority || 0) - (b.priority || 0) || String(a.id).localeCompare(String(b.id)));
  state.readiness = new Map((readiness.workloads || []).map((r) => [r.workload, r]));
  renderWorkloads();
}

function lagCell(w) {
  const lag = w.replica ? w.replica.lag_s : null;
  if (lag === null || lag === undefined) return w.replication ? 'not yet replicated' : '–';
  if (!w.rpo_s) return seconds(lag);
  const over = lag > w.rpo_s;
  return h('span', {}, h('meter', { min: 0, max: w.rpo_s, low: w.rpo_s * 0.5, high: w.rpo_s * 0.8, optimum: 0, value: Math.min(lag, w.rpo_s),
    'aria-label': `replica lag ${lag} s of RPO ${w.rpo_s} s` }), ' ',
  h('span', { class: over ? 'bad' : '' }, `${seconds(lag)} / ${seconds(w.rpo_s)}`));
}

function readinessCell(w) {
  const r = state.readiness.get(w.id);
  if (!r) return h('span', { class: 'hint' }, 'not judged yet');
  if (r.ready) return h('span', {}, h('span', { class: 'ok' }, 'ready'), ` → ${r.target}, RTO ${seconds(r.predicted_rto_s)}`);
  return h('span', {}, h('span', { class: 'bad' }, 'not ready'), `: ${(r.reasons || []).join('; ')}`);
}

function renderWorkloads() {
  const rows = state.workloads.map((w) => {
    const placed = (w.placement && w.placement.provider) || '';
    return h('tr', { 'data-workload': w.id },
      h('th', { scope: 'row' }, w.id),
      h('td', {}, w.priority),
      h('td', {}, w.recovery_class || '–'),
      h('td', { 'data-placement': placed }, placed || '–', w.placement && w.placement.since ? h('span', { class: 'hint' }, ` since ${clockTime(w.placement.since)}`) : null),
      h('td', { class: w.state === 'running' ? 'ok' : w.state === 'failed' ? 'bad' : '' }, w.state || '–'),
      h('td', {}, lagCell(w)),
      h('td', {}, readinessCell(w)),
      h('td', { class: 'write' }, h('button', { type: 'button', class: 'quiet', onclick: () => failover(w.id), 'aria-label': `Fail over ${w.id}` }, 'Fail over')));
  });
  $('workload-rows').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 8 }, 'No workloads.'))]));
}

async function failover(id) {
  if (!window.confirm(`Fail ${id} over to the best healthy provider now?`)) return;
  try {
    await api('POST', `/v1/workloads/${encodeURIComponent(id)}/failover`, {});
  } catch (e) {
    window.alert(`Failover refused: ${e.message}`);
  }
  scheduleRefresh();
}

// ---- operations ---------------------------------------------------------------

async function loadOperations() {
  const page = await api('GET', '/v1/operations?limit=200');
  const list = (page.operations || []).sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, OPERATIONS_SHOWN);
  const fresh = new Map();
  await Promise.all(list.map(async (op) => {
    const known = state.operations.get(op.id);
    // Details (predicted against achieved) once an operation changes.
    if (known && known.updated_at === op.updated_at && known.detailed) return fresh.set(op.id, known);
    const full = await api('GET', `/v1/operations/${encodeURIComponent(op.id)}`).catch(() => op);
    full.detailed = true;
    if (!state.decisions.has(op.id) && (op.kind === 'failover' || op.kind === 'recovery')) {
      const d = await api('GET', `/v1/events?operation=${encodeURIComponent(op.id)}&kind=decision&limit=20`).catch(() => ({ events: [] }));
      const streamed = state.decisions.get(op.id) || [];
      state.decisions.set(op.id, [...(d.events || []), ...streamed.filter((e) => !(d.events || []).some((x) => x.id === e.id))]);
    }
    fresh.set(op.id, full);
  }));
  state.operations = new Map(list.map((op) => [op.id, fresh.get(op.id) || op]));
  renderOperations();
}

function stepRow(s) {
  const took = s.started_at && s.ended_at ? (new Date(s.ended_at) - new Date(s.started_at)) / 1000 : null;
  const mark = { succeeded: 'ok', failed: 'bad', running: 'warn' }[s.state] || '';
  return h('li', { 'data-step': s.name, 'data-state': s.state || 'pending' },
    h('span', { class: mark }, s.state || 'pending'), ` ${s.name}`,
    s.started_at ? h('span', { class: 'hint' }, ` ${clockTime(s.started_at)}${took !== null ? `, ${seconds(took)}` : ''}`) : null,
    s.detail && typeof s.detail === 'string' ? h('span', { class: 'hint' }, ` — ${s.detail}`) : null);
}

function rtoTable(rto) {
  if (!rto || !rto.achieved) return null;
  const parts = ['detection_s', 'capacity_s', 'data_s', 'dns_s', 'verify_s'];
  const p = rto.predicted || {};
  const a = rto.achieved || {};
  const err = rto.error || {};
  const row = (label, key, pv, av, ev) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, seconds(pv)), h('td', {}, seconds(av)),
    h('td', { class: ev > 2 ? 'bad' : '' }, ev === undefined || ev === null ? '–' : `${ev > 0 ? '+' : ''}${Number(ev).toFixed(1)} s`));
  const partsOf = (o) => o.rto_parts || o.parts || o;
  return h('table', { class: 'rto' },
    h('caption', {}, 'Predicted (latest drill) against achieved'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Part'), h('th', { scope: 'col' }, 'Predicted'), h('th', { scope: 'col' }, 'Achieved'), h('th', { scope: 'col' }, 'Error'))),
    h('tbody', {},
      parts.map((k) => row(k.replace('_s', ''), k, partsOf(p)[k], partsOf(a)[k], partsOf(err)[k])),
      row('RTO', 'rto', p.rto_s ?? p.predicted_rto_s, a.rto_s, err.rto_s),
      row('RPO', 'rpo', p.rpo_s ?? p.predicted_rpo_s, a.rpo_s, err.rpo_s)));
}

function operationItem(op) {
  const steps = op.steps || [];
  const done = steps.filter((s) => s.state === 'succeeded' || s.state === 'skipped').length;
  const decisions = state.decisions.get(op.id) || [];
  const canCancel = op.state === 'running' || op.state === 'pending';
  const details = h('details', { open: state.open.has(op.id) || undefined, ontoggle: (ev) => (ev.target.open ? state.open.add(op.id) : state.open.delete(op.id)) },
    h('summary', {}, 'Steps, decision and RTO'),
    h('div', { class: 'columns' },
      h('div', {}, h('ol', { class: 'steps' }, steps.map(stepRow)), rtoTable(op.rto)),
      h('div', {}, decisions.length ? decisions.map((d) => h('div', {}, h('p', {}, d.summary), renderInputs(d.inputs))) : h('p', { class: 'hint' }, 'No decision recorded.'))));
  return h('li', { 'data-operation': op.id, 'data-state': op.state, 'data-kind': op.kind },
    h('h3', {}, `${op.kind} ${op.workload ? `of ${op.workload}` : ''} — `, h('span', { class: op.state === 'succeeded' ? 'ok' : op.state === 'failed' ? 'bad' : 'warn' }, op.state)),
    h('p', {}, h('progress', { max: Math.max(steps.length, 1), value: done, 'aria-label': `${op.kind} progress: ${done} of ${steps.length} steps` }),
      ` ${done} of ${steps.length} steps`, op.target ? ` · to ${op.target.provider || op.target}` : '', ` · started ${clockTime(op.created_at)}`,
      canCancel ? h('button', { type: 'button', class: 'quiet write', onclick: () => cancel(op.id) }, 'Cancel') : null),
    details);
}

async function cancel(id) {
  try {
    await api('POST', `/v1/operations/${encodeURIComponent(id)}/cancel`, {});
  } catch (e) {
    window.alert(`Cancel refused: ${e.message}`);
  }
  scheduleRefresh();
}

function renderOperations() {
  const items = [...state.operations.values()].map(operationItem);
  $('operation-list').replaceChildren(...(items.length ? items : [h('li', {}, 'No operations yet.')]));
}

// ---- providers ------------------------------------------------------------------

let providersLoadedAt = 0;
async function loadProviders() {
  if (Date.now() - providersLoadedAt < POLL_MS) return;
  providersLoadedAt = Date.now();
  const [providers, compared] = await Promise.all([
    listAll('/v1/providers', 'providers'),
    api('POST', '/v1/compare', { profile: { evidence: 'both' } }).catch(() => null),
  ]);
  const byId = new Map(((compared && compared.providers) || []).map((p) => [p.provider, p]));
  state.providers = providers.map((p) => ({ doc: p, compared: byId.get(p.id) }));
  renderProviders();
  renderDrillProviders();
}

function renderProviders() {
  const rows = state.providers.map(({ doc, compared }) => {
    const c = compared || {};
    const availability = ((c.criteria || {}).availability || {}).targets || {};
    const target = availability.availability_percent || {};
    const check = c.cloud_check || {};
    const kept = target.promise_kept === true ? h('span', { class: 'ok' }, ' kept') : target.promise_kept === false ? h('span', { class: 'bad' }, ' broken') : null;
    return h('tr', { 'data-provider': doc.id },
      h('th', { scope: 'row' }, doc.name ? `${doc.name} (${doc.id})` : doc.id),
      h('td', {}, c.sla_version ? `SLA ${c.sla_version}` : '–'),
      h('td', {}, percent(target.published)),
      h('td', {}, percent(target.measured), kept,
        c.measurement ? h('span', { class: 'hint' }, ` (${Number(c.measurement.coverage_percent || 0).toFixed(0)} % of the window measured)`) : null),
      h('td', {}, check.flagged ? h('span', { class: 'bad' }, 'flagged: a claim contradicted') : check.secured ? h('span', { class: 'ok' }, 'all six met') : 'not all six shown'));
  });
  $('provider-rows').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 5 }, 'No providers.'))]));
}

// ---- drill ----------------------------------------------------------------------

function renderDrillProviders() {
  const checked = new Set([...document.querySelectorAll('#drill-providers input:checked')].map((i) => i.value));
  const boxes = state.providers.map(({ doc }) => h('label', {},
    h('input', { type: 'checkbox', name: 'provider', value: doc.id, checked: checked.has(doc.id) || undefined }), ` ${doc.id}`));
  $('drill-providers').replaceChildren(...boxes);
}

async function drill(ev) {
  ev.preventDefault();
  const providers = [...document.querySelectorAll('#drill-providers input:checked')].map((i) => i.value);
  $('drill-error').textContent = '';
  if (!providers.length) {
    $('drill-error').textContent = 'Choose at least one provider to take down.';
    return;
  }
  try {
    const d = await api('POST', '/v1/drills', { providers });
    const rows = (d.workloads || []).map((w) => h('tr', { 'data-workload': w.workload },
      h('th', { scope: 'row' }, w.workload), h('td', {}, w.priority), h('td', {}, w.from),
      h('td', {}, w.target || h('span', { class: 'bad' }, `unplaced: ${w.unplaced_reason}`)),
      h('td', {}, seconds(w.predicted_rto_s)),
      h('td', {}, w.rto_parts ? ['detection_s', 'capacity_s', 'data_s', 'dns_s', 'verify_s'].map((k) => Number(w.rto_parts[k] || 0).toFixed(1)).join(' + ') : '–'),
      h('td', {}, seconds(w.predicted_rpo_s)),
      h('td', {}, w.monthly_cost_change === undefined || w.monthly_cost_change === null ? '–'
        : typeof w.monthly_cost_change === 'object' ? `${w.monthly_cost_change.amount} ${w.monthly_cost_change.currency}` : w.monthly_cost_change)));
    $('drill-rows').replaceChildren(...(rows.length ? rows : [h('tr', {}, h('td', { colspan: 8 }, 'None of your workloads runs there.'))]));
    $('drill-table').hidden = false;
  } catch (e) {
    $('drill-error').textContent = e.message;
  }
}

// ---- rank explorer ----------------------------------------------------------------

async function loadProfiles() {
  const profiles = await listAll('/v1/profiles', 'profiles');
  $('rank-profile').replaceChildren(...profiles.map((p) => h('option', { value: p.id }, p.id)));
}

async function rank(ev) {
  ev.preventDefault();
  $('rank-error').textContent = '';
  try {
    const answer = await api('POST', '/v1/rank', { profile_id: $('rank-profile').value, top_k: Number($('rank-top').value) || 5 });
    const ranked = answer.ranking || [];
    $('rank-caption').textContent = `${answer.profile} by ${answer.policy} on ${answer.evidence} evidence`;
    $('rank-rows').replaceChildren(...ranked.map((r, i) => h('tr', {},
      h('td', {}, r.rank ?? i + 1), h('th', { scope: 'row' }, r.provider),
      h('td', {}, r.score === undefined ? '–' : Number(r.score).toFixed(4)),
      h('td', {}, r.explanation || ''))));
    $('rank-table').hidden = false;
    const excluded = answer.excluded || [];
    $('rank-excluded').replaceChildren(...excluded.map((x) => h('li', {}, `${x.provider} excluded: ${(x.reasons || []).join('; ')}`)),
      answer.excluded_count > excluded.length ? h('li', {}, `and ${answer.excluded_count - excluded.length} more excluded`) : null);
  } catch (e) {
    $('rank-error').textContent = e.message;
  }
}

async function report() {
  $('rank-error').textContent = '';
  try {
    const headers = { 'Content-Type': 'application/json', Accept: 'text/html' };
    if (state.key) headers.Authorization = `Bearer ${state.key}`;
    const res = await fetch('/v1/compare', { method: 'POST', headers, body: JSON.stringify({ profile_id: $('rank-profile').value, format: 'html' }) });
    if (!res.ok) throw new Error(`the report was refused (${res.status})`);
    const link = $('report-link');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(await res.blob());
    link.hidden = false;
    link.focus();
  } catch (e) {
    $('rank-error').textContent = e.message;
  }
}

// ---- start ----------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.key = $('key').value.trim();
    sessionStorage.setItem('icb-key', state.key);
    $('key').value = '';
    signIn();
  });
  $('sign-out').addEventListener('click', () => signedOut('Signed out.'));
  $('drill-form').addEventListener('submit', drill);
  $('rank-form').addEventListener('submit', rank);
  $('report').addEventListener('click', report);
  signIn();
});
