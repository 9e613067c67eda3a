// The operator console in a real browser (Debian's chromium, driven headless
// through the DevTools protocol by playwright-core), against a broker on the
// lab: run by tests/lab/console_lab_test.cc, which starts both and hands over
// the broker's address and keys in the environment:
//   ICB_URL           the broker (http://127.0.0.1:PORT)
//   ICB_OPERATOR_KEY  an operator of the tenant whose workloads are shown
//   ICB_READER_KEY    a reader of the same tenant
//   ICB_OTHER_KEY     an operator of another tenant
//   ICB_WORKLOADS     the first tenant's workloads, comma-separated
//   ICB_OTHER_WORKLOAD the other tenant's workload
//   ICB_FAILOVER      the workload the operator fails over from the console
//   ICB_DOWN          the provider the drill takes down
//   ICB_SCREENSHOTS   a folder for the screenshots (optional)
// Prints what it checked; exits 1 at the first check that fails.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';

const require = createRequire(new URL('../../tools/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('ICB_URL');
const workloads = env('ICB_WORKLOADS').split(',');
const other = env('ICB_OTHER_WORKLOAD');
const failoverId = env('ICB_FAILOVER');
const shots = process.env.ICB_SCREENSHOTS || '';
if (shots) mkdirSync(shots, { recursive: true });

let failed = false;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failed = true;
  return ok;
}
const deadline = (ms) => Date.now() + ms;

// Loopback only: every name but 127.0.0.1 resolves to nothing, the
// browser's own background services stay off, and the page may fetch
// nothing beyond the broker (counted).
const browser = await chromium.launch({
  executablePath: process.env.ICB_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--no-proxy-server', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-domain-reliability',
    '--disable-features=OptimizationHints,MediaRouter,Translate'],
});
const outside = [];

async function consoleAs(key) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  page.on('pageerror', (e) => check(false, 'no script error', e.message));
  page.on('dialog', (d) => d.accept());
  await page.goto(`${base}/ui/`);
  await page.locator('#sign-in-form').waitFor({ state: 'visible', timeout: 20000 });
  await page.fill('#key', key);
  await page.click('#sign-in-form button[type=submit]');
  await page.locator('#console').waitFor({ state: 'visible', timeout: 20000 });
  return { context, page };
}

async function rowsShown(page) {
  return page.$$eval('#workload-rows tr[data-workload]', (rows) => rows.map((r) => r.dataset.workload));
}

async function waitFor(what, fn, ms = 30000) {
  const end = deadline(ms);
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) {
      check(false, what, 'not within the deadline');
      return null;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function axe(page, name) {
  // Through the DevTools protocol: the console's own CSP rightly refuses
  // an injected script tag.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  check(serious.length === 0, `axe-core finds no serious or critical violation (${name})`,
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(', ')})`).join('; '));
  console.log(`     axe-core (${name}): ${result.violations.length} violations in all, ${serious.length} serious or critical`);
}

try {
  // ---- an operator of the tenant ---------------------------------------------
  const { page } = await consoleAs(env('ICB_OPERATOR_KEY'));
  const listed = await waitFor('the console lists the tenant\'s workloads', async () => {
    const rows = await rowsShown(page);
    return workloads.every((w) => rows.includes(w)) ? rows : null;
  });
  if (listed) check(true, 'the console lists the tenant\'s workloads', listed.join(', '));
  await waitFor('the live stream is open', async () => (await page.textContent('#live')) === 'live');
  check(!(await page.textContent('body')).includes(other), 'another tenant\'s workload never appears (operator)');
  const readiness = await waitFor('every workload has a readiness verdict', async () => {
    const cells = await page.$$eval('#workload-rows tr[data-workload] td:nth-child(7)', (tds) => tds.map((t) => t.textContent));
    return cells.length && cells.every((c) => /ready/.test(c)) ? cells : null;
  }, 60000);
  if (!readiness) console.log(await page.$$eval('#workload-rows tr', (trs) => trs.map((t) => t.textContent).join('\n')));
  if (readiness) check(true, 'every workload has a readiness verdict', readiness[0]);
  await waitFor('the providers are listed', async () => (await page.$$('#provider-rows tr[data-provider]')).length > 0);
  await axe(page, 'operator');
  if (shots) await page.screenshot({ path: `${shots}/console-workloads.png`, fullPage: false });

  // The drill form: a prediction, nothing changed.
  await page.check(`#drill-providers input[value="${env('ICB_DOWN')}"]`);
  await page.click('#drill-form button[type=submit]');
  const predicted = await waitFor('the drill form shows a prediction', async () => {
    const rows = await page.$$eval('#drill-rows tr[data-workload]', (trs) => trs.map((t) => [...t.children].map((c) => c.textContent)));
    return rows.length ? rows : null;
  });
  if (predicted) {
    check(predicted.length === workloads.length, 'the drill predicts each of the tenant\'s workloads on the provider down', `${predicted.length} rows`);
    check(predicted.every((r) => /\d+\.\d s/.test(r[4])), 'each prediction has an RTO', predicted.map((r) => `${r[0]} → ${r[3]} in ${r[4]}`).join('; '));
  }
  if (shots) await page.locator('#drill').screenshot({ path: `${shots}/console-drill.png` });

  // A failover from the console: its operation appears and its steps
  // advance, and the workload's placement changes, without a reload.
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  const placedBefore = await page.getAttribute(`#workload-rows tr[data-workload="${failoverId}"] td[data-placement]`, 'data-placement');
  await page.click(`button[aria-label="Fail over ${failoverId}"]`);
  const progress = [];
  const op = `#operation-list li[data-kind="failover"]`;
  const finished = await waitFor('the failover appears and finishes', async () => {
    const item = await page.$(op);
    if (!item) return null;
    const [value, max, state] = await item.evaluate((li) => [li.querySelector('progress').value, li.querySelector('progress').max, li.dataset.state]);
    const last = progress[progress.length - 1];
    if (!last || last[0] !== value || last[2] !== state) progress.push([value, max, state]);
    return state === 'succeeded' || state === 'failed' ? state : null;
  }, 90000);
  check(finished === 'succeeded', 'the failover succeeded', finished || 'unfinished');
  check(progress.length >= 2 && progress[progress.length - 1][0] > progress[0][0], 'its steps were seen advancing',
    progress.map(([v, m, s]) => `${v}/${m} ${s}`).join(' → '));
  const placedAfter = await waitFor('the workload\'s placement changes', async () => {
    const p = await page.getAttribute(`#workload-rows tr[data-workload="${failoverId}"] td[data-placement]`, 'data-placement');
    return p && p !== placedBefore ? p : null;
  });
  if (placedAfter) check(true, 'the workload\'s placement changes', `${placedBefore} → ${placedAfter}`);
  check(navigations === 0, 'without a reload', `${navigations} navigations`);
  const decision = await page.$(`${op} details`);
  if (decision) {
    await decision.evaluate((d) => { d.open = true; });
    check(await waitFor('the decision shows its candidates', async () => (await page.$(`${op} table.candidates`)) !== null), 'the decision shows its candidates and scores');
    check((await page.$$(`${op} table.candidates`)).length === 1, 'once (read with its operation and streamed: one decision)');
  }
  const trail = await page.$$eval('#event-list li', (lis) => lis.map((l) => l.dataset.kind));
  check(trail.includes('decision') && trail.includes('step_succeeded'), 'the audit trail shows the decision and the steps live', `${trail.length} events`);
  if (shots) await page.locator('#operations').screenshot({ path: `${shots}/console-failover.png` });

  // ---- a reader of the tenant: the same story, no write controls ---------------
  const reader = await consoleAs(env('ICB_READER_KEY'));
  await waitFor('the reader sees the workloads', async () => (await rowsShown(reader.page)).length === workloads.length);
  const writeControls = await reader.page.$$eval('button, form', (els) => els.filter((e) => e.offsetParent !== null)
    .filter((e) => /Fail over|Cancel|Predict/.test(e.textContent) || e.id === 'drill-form').map((e) => e.textContent.trim() || e.id));
  check(writeControls.length === 0, 'a reader key sees no write controls', writeControls.join(', '));
  check(await reader.page.isVisible('.read-only-note'), 'a reader is told why');
  check(!(await reader.page.textContent('body')).includes(other), 'another tenant\'s workload never appears (reader)');
  await axe(reader.page, 'reader');

  // ---- another tenant: none of the first one's, even live; the fallback polls --
  const them = await consoleAs(env('ICB_OTHER_KEY'));
  await waitFor('the other tenant sees its own workload', async () => (await rowsShown(them.page)).includes(other));
  const theirs = await them.page.textContent('body');
  const leaked = workloads.filter((w) => theirs.includes(w));
  check(leaked.length === 0, 'another tenant\'s workloads never appear', leaked.join(', '));
  check(!theirs.includes('"failover"') && !(await them.page.$('#operation-list li[data-kind="failover"]')), 'nor its operations');

  const polled = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const pp = await polled.newPage();
  await pp.route('**/v1/events/stream', (route) => route.abort());
  await pp.goto(`${base}/ui/`);
  await pp.fill('#key', env('ICB_OPERATOR_KEY'));
  await pp.click('#sign-in-form button[type=submit]');
  await waitFor('without the stream the console polls', async () => /polling/.test(await pp.textContent('#live')), 30000);
  check(/polling/.test(await pp.textContent('#live')), 'without the stream the console falls back to polling');
  check((await rowsShown(pp)).length === workloads.length, 'and still lists the workloads');

  check(outside.length === 0, 'the console loads nothing from outside', outside.join(', '));
} catch (e) {
  check(false, 'the run', e.stack || String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
