// The dashboard (/_mock/ui) in a real browser: Debian's chromium driven by
// playwright-core (pinned in package.json; it downloads no browser). Each
// test starts its own descovo-mock on a free port with the manual clock,
// drives a workflow through the API, and checks what the page shows.
//
// Environment: DESCOVO_MOCK (the binary; default build/mockserver/descovo-mock),
// CHROMIUM (default /usr/bin/chromium), UI_SCREENSHOTS (a folder: the main
// views are saved there as PNG).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const MOCK = process.env.DESCOVO_MOCK || path.join(root, 'build/mockserver/descovo-mock');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.UI_SCREENSHOTS || '';
const KEY = 'sk_test_descovo_dev';
const WAIT = 20000; // ms for anything the page must show (polls are 1 s apart): room for a loaded machine

let context;
const mocks = [];

before(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'descovo-ui-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(WAIT);
});

after(async () => {
  if (context) await context.close();
  for (const m of mocks) m.stop();
});

// Starts descovo-mock on a free port; resolves with {url, stop}.
function startMock(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(MOCK, ['--port', '0', '--clock', 'manual', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('descovo-mock did not start in 10 s')); }, 10000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m && timer) {
        clearTimeout(timer);
        const exited = new Promise((done) => child.on('exit', done));
        const mock = { url: m[0], stop: () => { child.kill('SIGTERM'); return exited; } };
        mocks.push(mock);
        resolve(mock);
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); if (!out.includes('http://')) reject(new Error(`descovo-mock exited ${code}`)); });
  });
}

// Runs a program; resolves with its standard output.
function run(program, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${program} exited ${code}`))));
  });
}

async function api(mock, method, p, body, headers) {
  const res = await fetch(mock.url + p, {
    method, headers: Object.assign({ 'Content-Type': 'application/json' }, headers || {}),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json };
}

async function createAudience(mock, name, key = KEY) {
  const r = await api(mock, 'POST', '/v1/audiences/create', { apiKey: key, name });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.output.audienceId;
}

async function setFilters(mock, id) {
  const r = await api(mock, 'PATCH', `/v1/audiences/${id}/search-params`,
    { apiKey: KEY, companySearchParams: { headquartersCountryCode: ['US'] }, maxCompanies: 5 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
}

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

// The text of the status cell of an audience's row.
function statusCell(page, id) {
  return page.locator(`#audiences-body tr[data-key="${id}"] td.status`);
}

test('an audience appears in DRAFT, goes to BUILDING, and to NORMAL after the advance button', async () => {
  const mock = await startMock('--quiet');
  const page = await context.newPage();
  await page.goto(mock.url + '/_mock/ui#audiences');
  const id = await createAudience(mock, 'AI VPs in US');
  await statusCell(page, id).filter({ hasText: 'DRAFT' }).waitFor({ timeout: WAIT });
  await setFilters(mock, id);
  const build = await api(mock, 'POST', `/v1/audiences/${id}/build`, { apiKey: KEY });
  assert.equal(build.status, 200);
  await statusCell(page, id).filter({ hasText: 'BUILDING' }).waitFor({ timeout: WAIT });
  // The clock is manual: nothing moves until the button is clicked.
  await page.getByRole('button', { name: '+1 min' }).click();
  await statusCell(page, id).filter({ hasText: 'NORMAL' }).waitFor({ timeout: WAIT });
  const status = await api(mock, 'GET', `/v1/audiences/${id}?apiKey=${KEY}`);
  assert.equal(status.json.output.status, 'NORMAL');
  // Its timeline, opened from the keyboard.
  await page.getByRole('button', { name: `Details of ${id}` }).focus();
  await page.keyboard.press('Enter');
  const timeline = page.locator(`#audiences-body tr[data-detail-of="${id}"] .timeline`);
  await timeline.waitFor({ timeout: WAIT });
  assert.deepEqual((await timeline.locator('.badge').allTextContents()), ['DRAFT', 'BUILDING', 'NORMAL']);
  // An enrichment under way and an export: the row shows its stage and a download link.
  assert.equal((await api(mock, 'POST', `/v1/audiences/${id}/enrich`, { apiKey: KEY, maxProspectsToEnrich: 20 })).status, 200);
  const exp = await api(mock, 'POST', `/v1/audiences/${id}/export/companies`,
    { apiKey: KEY, format: 'COMPANY_GENERIC_CSV', userEmail: 'dev@example.com' });
  assert.equal(exp.status, 200);
  await api(mock, 'POST', '/_mock/clock/advance', { seconds: 3 });
  const row = page.locator(`#audiences-body tr[data-key="${id}"]`);
  await row.locator('[role=progressbar]').waitFor();
  const link = row.getByRole('link', { name: /companies/ });
  await link.waitFor();
  assert.equal(await link.getAttribute('href'), `/v1/exports/${exp.json.output.exportId}`);
  await createAudience(mock, 'Seed-stage SaaS in Europe');
  await page.locator('#audiences-pager').filter({ hasText: '1–2 of 2' }).waitFor();
  // The row was rebuilt (its data changed) and a row was added above it: it stays open.
  assert.equal(await timeline.isVisible(), true);
  assert.deepEqual((await timeline.locator('.badge').allTextContents()), ['DRAFT', 'BUILDING', 'NORMAL']);
  await shot(page, 'audiences');
  // The export's e-mail, with its link, in the outbox.
  await page.getByRole('tab', { name: 'Outbox' }).click();
  const mail = page.locator('#outbox-body tr[data-key]').filter({ hasText: 'dev@example.com' });
  await mail.waitFor();
  assert.equal(await mail.getByRole('link').first().getAttribute('href'),
               `${mock.url}/v1/exports/${exp.json.output.exportId}`);
  await shot(page, 'outbox');
  await page.close();
  mock.stop();
});

test('a fault added from the page fails the next matching request, and the journal shows it', async () => {
  const mock = await startMock('--quiet');
  const page = await context.newPage();
  await page.goto(mock.url + '/_mock/ui#faults');
  await page.locator('#fault-template').selectOption({ label: '503 with Retry-After' });
  await page.getByRole('button', { name: 'Add rule' }).click();
  const row = page.locator('#faults-body tr[data-key]');
  await row.filter({ hasText: 'POST /v1/audiences/*/build' }).waitFor({ timeout: WAIT });
  const id = await createAudience(mock, 'faulted');
  await setFilters(mock, id);
  const faulted = await api(mock, 'POST', `/v1/audiences/${id}/build`, { apiKey: KEY });
  assert.equal(faulted.status, 503);
  const again = await api(mock, 'POST', `/v1/audiences/${id}/build`, { apiKey: KEY });
  assert.equal(again.status, 200, 'the rule fires once');
  await page.locator('#faults-body td[data-field=fired]').filter({ hasText: /^1$/ }).waitFor({ timeout: WAIT });
  await shot(page, 'faults');
  // The journal, filtered to 503s, shows the build that failed.
  await page.getByRole('tab', { name: 'Journal' }).click();
  await page.getByRole('textbox', { name: 'Status' }).fill('503');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#journal-pager').filter({ hasText: '1 shown of 1 matching' }).waitFor();
  const entry = page.locator('#journal-body tr[data-key]');
  assert.equal(await entry.count(), 1);
  assert.match(await entry.first().textContent(), new RegExp(`POST/v1/audiences/${id}/build`));
  assert.match(await entry.first().textContent(), /503/);
  // Opened: the full request and answer, with the key masked.
  await entry.first().getByRole('button').click();
  const request = page.locator('#journal-body pre.j-request');
  await request.waitFor({ timeout: WAIT });
  assert.match(await request.textContent(), /sk_test_\*\*\*ev/);
  assert.doesNotMatch(await request.textContent(), new RegExp(KEY));
  assert.match(await page.locator('#journal-body pre.j-response').textContent(), /"code": 503/);
  await shot(page, 'journal');
  await page.close();
  mock.stop();
});

test('the ledger lists every charge and refund, and its entries sum to the balance', async () => {
  const mock = await startMock('--quiet');
  const id = await createAudience(mock, 'spender');
  await setFilters(mock, id);
  assert.equal((await api(mock, 'POST', `/v1/audiences/${id}/build`, { apiKey: KEY })).status, 200);
  await api(mock, 'POST', '/_mock/clock/advance', { seconds: 60 });
  await api(mock, 'POST', '/_mock/faults', { match: { path: '/v1/audiences/*/enrich' }, times: 1,
                                             action: { type: 'fail-enrichment' } });
  assert.equal((await api(mock, 'POST', `/v1/audiences/${id}/enrich`, { apiKey: KEY, maxProspectsToEnrich: 5 })).status, 200);
  await api(mock, 'POST', '/_mock/clock/advance', { seconds: 600 });
  assert.equal((await api(mock, 'POST', `/v1/audiences/${id}/enrich`, { apiKey: KEY, maxProspectsToEnrich: 3 })).status, 200);
  const credits = (await api(mock, 'GET', `/v1/credits?apiKey=${KEY}`)).json.output.credits;

  const page = await context.newPage();
  await page.goto(mock.url + '/_mock/ui');
  await page.locator('#tenant').selectOption(KEY);
  // The header shows the chosen tenant's clock (the server's until it is
  // advanced on its own).
  await page.locator('#clock-of').filter({ hasText: new RegExp(`^${KEY}$`) }).waitFor();
  await page.getByRole('tab', { name: 'Ledger' }).click();
  await page.locator('#ledger-sum.check-ok').waitFor({ timeout: WAIT });
  const amounts = (await page.locator('#ledger-body td[data-amount]').evaluateAll(
    (cells) => cells.map((c) => Number(c.dataset.amount))));
  assert.equal(amounts.length, 5, 'grant, build, enrichment, refund, enrichment');
  assert.equal(amounts.reduce((a, b) => a + b, 0), credits);
  assert.equal(await page.locator('#ledger-balance').textContent(), credits.toLocaleString('en-US'));
  const kinds = await page.locator('#ledger-body tr[data-key] .badge').allTextContents();
  assert.deepEqual(kinds, ['enrichment', 'refund', 'enrichment', 'build', 'grant']);
  assert.match(await page.locator('#ledger-body').textContent(), new RegExp(`POST /v1/audiences/${id}/build`));
  await shot(page, 'ledger');
  await page.getByRole('tab', { name: 'Tenants' }).click();
  await page.locator('#tenants-body tr[data-key]').first().waitFor({ timeout: WAIT });
  await shot(page, 'tenants');
  await page.close();
  mock.stop();
});

test('with --admin-token the page asks for the token and sends it as a header, never in a URL', async () => {
  const token = 'ui-s3cret';
  const mock = await startMock('--quiet', '--admin-token', token);
  const page = await context.newPage();
  const urls = [];
  const headers = [];
  page.on('request', (req) => { urls.push(req.url()); if (req.url().includes('/_mock/accounts')) headers.push(req.headers()); });
  await page.goto(mock.url + '/_mock/ui');
  const dialog = page.getByRole('dialog', { name: 'Admin token' });
  await dialog.waitFor({ timeout: WAIT });
  await shot(page, 'token');
  await page.getByLabel('Token', { exact: true }).fill('wrong');
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator('#token-error').filter({ hasText: 'refused' }).waitFor({ timeout: WAIT });
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator(`#tenants-body tr[data-key="${KEY}"]`).waitFor({ timeout: WAIT });
  assert.equal(await dialog.isVisible(), false);
  assert.ok(headers.some((h) => h['x-mock-admin-token'] === token), 'the token went as X-Mock-Admin-Token');
  assert.ok(urls.every((u) => !u.includes(token)), 'no URL carries the token');
  await page.close();
  mock.stop();
});

test('10,000 audiences and a full journal: paged, and an unchanged tick changes nothing', async () => {
  // 10,000 audiences over two keys (each key may hold 10,000), made by a
  // state file: the server writes one line of each key's create, the test
  // repeats them, and the restart replays them in-process (no 10,000 HTTP
  // round trips on a loaded CI machine).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'descovo-ui-state-'));
  const file = path.join(dir, 'state.log');
  const first = await startMock('--quiet', '--no-rate-limit', '--state-file', file);
  await createAudience(first, 'audience 0');
  await createAudience(first, 'audience 1', 'sk_test_descovo_other');
  await first.stop();
  const [header, dev, other] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const lines = [header];
  for (let i = 0; i < 10000; i++) {
    const record = JSON.parse(i % 2 ? other : dev);
    record.b.name = `audience ${i}`;
    lines.push(JSON.stringify(record));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  let t0 = Date.now();
  const mock = await startMock('--quiet', '--no-rate-limit', '--journal-size', '4096', '--state-file', file);
  const accounts = await api(mock, 'GET', '/_mock/accounts');
  assert.deepEqual(accounts.json.output.accounts.map((a) => a.audiences).sort(), [0, 5000, 5000]);
  const replayMs = Date.now() - t0;
  // A full journal: 4,096 requests, sent by curl (one process, 8 connections
  // kept alive; far cheaper than as many fetches).
  t0 = Date.now();
  const config = path.join(dir, 'requests.cfg');
  fs.writeFileSync(config, `url = "${mock.url}/v1/credits?apiKey=${KEY}"\noutput = "/dev/null"\n`.repeat(4096));
  const codes = await run('curl', ['-s', '--no-progress-meter', '--parallel', '--parallel-max', '8', '-K', config, '-w', '%{http_code}\n']);
  assert.equal(codes.trim().split('\n').filter((c) => c === '200').length, 4096);
  const journalMs = Date.now() - t0;
  const page = await context.newPage();
  const statuses = [];
  page.on('response', (res) => { if (res.url().includes('/_mock/audiences')) statuses.push(res.status()); });
  const started = Date.now();
  await page.goto(mock.url + '/_mock/ui#audiences');
  await page.locator('#audiences-pager').filter({ hasText: '1–50 of 10,000' }).waitFor({ timeout: WAIT });
  const firstPageMs = Date.now() - started;
  assert.equal(await page.locator('#audiences-body tr[data-key]').count(), 50);
  // Mark the rows, let two ticks pass: nothing changed, so the same nodes stay.
  await page.evaluate(() => { for (const tr of document.querySelectorAll('#audiences-body tr')) tr.__mark = 1; });
  const before304 = statuses.filter((s) => s === 304).length;
  // Two more polls of the list (no fixed sleep: each is awaited as it comes).
  for (let i = 0; i < 2; i++)
    await page.waitForResponse((res) => res.url().includes('/_mock/audiences'));
  assert.ok(statuses.filter((s) => s === 304).length > before304, 'unchanged polls are answered 304');
  assert.equal(await page.evaluate(() => Array.from(document.querySelectorAll('#audiences-body tr')).every((tr) => tr.__mark === 1)), true,
    'no row was rebuilt');
  // Next page from the keyboard.
  await page.getByRole('button', { name: 'Next ›' }).first().focus();
  await page.keyboard.press('Enter');
  await page.locator('#audiences-pager').filter({ hasText: '51–100 of 10,000' }).waitFor({ timeout: WAIT });
  // The journal is full (4,096 kept): the page shows 50 and pages back.
  await page.getByRole('tab', { name: 'Journal' }).click();
  await page.locator('#journal-pager').filter({ hasText: '50 shown of 4,096 matching' }).waitFor({ timeout: WAIT });
  await page.getByRole('button', { name: 'Older ›' }).click();
  await page.locator('#journal-pager').filter({ hasText: '50 shown of 4,046 matching' }).waitFor({ timeout: WAIT });
  console.log(`# 10,000 audiences replayed and ready in ${replayMs} ms, 4,096 requests in ${journalMs} ms; ` +
              `first page shown ${firstPageMs} ms after navigation (under load)`);
  await page.close();
  mock.stop();
});

test('a tenant with a clock of its own shows it, and its advance buttons move that clock only', async () => {
  // The server's per-tenant clocks (GET /_mock/accounts/{apiKey}/clock,
  // POST .../clock/advance: docs/API.md, Tenants), driven from the page.
  const mock = await startMock('--quiet');
  const other = 'sk_test_descovo_other';
  await createAudience(mock, 'a tenant');
  const page = await context.newPage();
  await page.goto(mock.url + '/_mock/ui');
  // Every tenant row gets its own advance buttons.
  await page.getByRole('button', { name: `Advance the clock of ${KEY} by 10 s` }).waitFor();
  await page.locator('#tenant').selectOption(KEY);
  await page.locator('#clock-of').filter({ hasText: new RegExp(`^${KEY}$`) }).waitFor();
  await page.locator('#clock-now').filter({ hasText: '2025-01-01 00:00:00.000' }).waitFor();
  await page.getByRole('button', { name: '+10 s' }).click();
  await page.locator('#clock-of').filter({ hasText: `${KEY} (own clock)` }).waitFor();
  await page.locator('#clock-now').filter({ hasText: '2025-01-01 00:00:10.000' }).waitFor();
  const tenantClock = async (key) => (await api(mock, 'GET', `/_mock/accounts/${key}/clock`)).json.output;
  assert.equal((await tenantClock(KEY)).now, '2025-01-01T00:00:10.000Z');
  // Neither the server's clock nor another tenant's moved.
  assert.equal((await api(mock, 'GET', '/_mock/clock')).json.output.now, '2025-01-01T00:00:00.000Z');
  assert.equal((await tenantClock(other)).now, '2025-01-01T00:00:00.000Z');
  // Back to all tenants: the server's clock again.
  await page.locator('#tenant').selectOption('');
  await page.locator('#clock-of').filter({ hasText: /^server$/ }).waitFor();
  await page.locator('#clock-now').filter({ hasText: '2025-01-01 00:00:00.000' }).waitFor();
  await page.close();
  mock.stop();
});

test('every control has a label, and the tabs work from the keyboard', async () => {
  const mock = await startMock('--quiet');
  const page = await context.newPage();
  await page.goto(mock.url + '/_mock/ui');
  await page.locator('#tenants-body tr[data-key]').first().waitFor({ timeout: WAIT });
  const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea, button'))
    .filter((n) => {
      if (n.closest('[hidden]') && n.tagName !== 'BUTTON') return false;
      const name = n.getAttribute('aria-label') || (n.labels && n.labels.length && n.labels[0].textContent.trim()) || n.textContent.trim();
      return !name;
    }).map((n) => n.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabelled, []);
  await page.getByRole('tab', { name: 'Tenants' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: 'Audiences' }).getAttribute('aria-selected'), 'true');
  await page.keyboard.press('End');
  assert.equal(await page.getByRole('tab', { name: 'Outbox' }).getAttribute('aria-selected'), 'true');
  assert.equal(await page.locator('#view-outbox').isVisible(), true);
  await page.close();
  mock.stop();
});
