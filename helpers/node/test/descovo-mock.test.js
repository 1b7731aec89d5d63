// Tests of the Node helper against a real descovo-mock. The binary:
// $DESCOVO_MOCK_BIN, else descovo-mock on PATH, else the build tree's
// build/mockserver/descovo-mock. Run: node --test test/descovo-mock.test.js
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  DEV_KEY, DescovoMock, DescovoMockError, DescovoMockStartError, TenantsUnsupported, findBinary,
} from '../index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
try {
  findBinary();
} catch {
  process.env.DESCOVO_MOCK_BIN = join(repo, 'build', 'mockserver', 'descovo-mock');
}

const FILTERS = {
  companySearchParams: { headquartersCountryCode: ['US'], industriesV2: ['software'] },
  maxCompanies: 10,
  maxProspects: 20,
};

async function builtAudience(mock, apiKey = DEV_KEY) {
  const created = await mock.request('POST', '/v1/audiences/create', { body: { apiKey, name: 'node helper' } });
  assert.equal(created.status, 200);
  const id = created.body.output.audienceId;
  assert.equal((await mock.request('PATCH', `/v1/audiences/${id}/search-params`, { body: { ...FILTERS, apiKey } })).status, 200);
  assert.equal((await mock.request('POST', `/v1/audiences/${id}/build`, { body: { apiKey } })).status, 200);
  return id;
}

async function rawStatus(url, headers = {}) {
  return (await fetch(url, { headers })).status;
}

describe('start and stop', () => {
  test('start waits for health; stop ends the process cleanly', async () => {
    const mock = await DescovoMock.start();
    assert.ok(mock.started);
    assert.equal(mock.baseUrl, `http://127.0.0.1:${mock.port}`);
    assert.equal(mock.pid, mock.child.pid);
    const health = await mock.health();
    assert.equal(health.status, 'ok');
    assert.equal(health.version, mock.version);
    assert.equal((await mock.clock()).mode, 'manual');
    const { workdir } = mock;
    assert.ok(existsSync(join(workdir, 'ready.json')));
    assert.equal(await mock.stop(), 0);
    assert.ok(!existsSync(workdir));
    assert.equal(await mock.stop(), null);
    await assert.rejects(fetch(`${mock.baseUrl}/_mock/health`));
  });

  test('more options, the real clock', async () => {
    const mock = await DescovoMock.start({ args: ['--seed', '7', '--companies', '100'], clock: 'real' });
    try {
      const health = await mock.health();
      assert.deepEqual([health.seed, health.companies, health.clock], [7, 100, 'real']);
    } finally {
      await mock.stop();
    }
  });

  test('a refused start says why', async () => {
    await assert.rejects(DescovoMock.start({ args: ['--scenario', '/nonexistent/scenario.json'] }), (err) => {
      assert.ok(err instanceof DescovoMockStartError);
      assert.equal(err.exitCode, 4);
      assert.match(err.message, /\/nonexistent\/scenario\.json/);
      assert.match(err.message, /scenario cannot be read/);
      return true;
    });
    await assert.rejects(DescovoMock.start({ args: ['--colour'] }), (err) => err.exitCode === 2);
  });

  test('binary not found', async () => {
    await assert.rejects(DescovoMock.start({ binary: '/nonexistent/descovo-mock' }), /not an executable/);
    const saved = { bin: process.env.DESCOVO_MOCK_BIN, path: process.env.PATH };
    try {
      delete process.env.DESCOVO_MOCK_BIN;
      process.env.PATH = '/nonexistent';
      await assert.rejects(DescovoMock.start(), /DESCOVO_MOCK_BIN/);
    } finally {
      process.env.DESCOVO_MOCK_BIN = saved.bin;
      process.env.PATH = saved.path;
    }
  });

  test('connect and fromEnv leave the server running', async () => {
    const owner = await DescovoMock.start();
    try {
      const saved = process.env.DESCOVO_BASE_URL;
      process.env.DESCOVO_BASE_URL = owner.baseUrl;
      let other;
      try {
        other = await DescovoMock.fromEnv();
      } finally {
        if (saved === undefined) delete process.env.DESCOVO_BASE_URL;
        else process.env.DESCOVO_BASE_URL = saved;
      }
      assert.equal(other.started, false);
      assert.equal(other.version, owner.version);
      await other.advance(5);
      assert.equal(await other.stop(), null);
      assert.equal((await owner.clock()).nowMs, 1735689600000 + 5000);
    } finally {
      await owner.stop();
    }
  });

  test('connect to nothing fails in time', async () => {
    await assert.rejects(DescovoMock.connect('http://127.0.0.1:9', { waitMs: 200 }), DescovoMockStartError);
  });

  test('admin token', async () => {
    const mock = await DescovoMock.start({ adminToken: 'node-helper-token' });
    try {
      assert.equal((await mock.health()).status, 'ok');
      assert.equal(await rawStatus(`${mock.baseUrl}/_mock/health`), 401);
      assert.equal(await rawStatus(`${mock.baseUrl}/_mock/health`, { 'X-Mock-Admin-Token': 'node-helper-token' }), 200);
      const wrong = new DescovoMock(mock.baseUrl, { adminToken: 'not-the-token' });
      await assert.rejects(wrong.reset(), (err) => err instanceof DescovoMockError && err.status === 401);
    } finally {
      await mock.stop();
    }
  });
});

describe('control plane', () => {
  let mock;
  before(async () => {
    mock = await DescovoMock.start();
  });
  after(async () => {
    await mock.stop();
  });
  beforeEach(async () => {
    await mock.reset();
  });

  test('JSON bodies go as application/json, never text/plain (415)', async () => {
    await mock.advance(1.5);
    const entries = await mock.requests({ method: 'POST', path: '/_mock/clock/advance' });
    const last = entries.at(-1);
    assert.equal(last.status, 200);
    assert.deepEqual(JSON.parse(last.requestBody), { seconds: 1.5 });
    // What the helper protects against: fetch's default Content-Type.
    const bare = await fetch(`${mock.baseUrl}/_mock/clock/advance`, { method: 'POST', body: '{"seconds":1}' });
    assert.equal(bare.status, 415);
  });

  test('clock advance finishes a build', async () => {
    const id = await builtAudience(mock);
    const before = (await mock.clock()).nowMs;
    await mock.advance(120);
    assert.equal((await mock.clock()).nowMs, before + 120000);
    const res = await mock.request('GET', `/v1/audiences/${id}`, { query: { apiKey: DEV_KEY } });
    assert.equal(res.body.output.status, 'NORMAL');
  });

  test('errors reject with the status and message', async () => {
    await assert.rejects(mock.advance(-1), (err) => err instanceof DescovoMockError && err.status === 400 && /seconds/.test(err.message));
  });

  test('accounts and reset', async () => {
    await mock.setAccount({ credits: 5 });
    assert.equal((await mock.account()).credits, 5);
    const res = await mock.request('GET', '/v1/credits', { query: { apiKey: DEV_KEY } });
    assert.equal(res.body.output.credits, 5);
    await mock.setAccount({ apiKey: 'sk_test_node_new', credits: 7, exportQuota: 0 });
    assert.equal((await mock.account('sk_test_node_new')).exportQuota, 0);
    await mock.reset();
    assert.equal((await mock.account()).credits, 50000);
  });

  test('faults', async () => {
    const id = await mock.addFault({ match: { method: 'GET', path: '/v1/credits' }, times: 1,
      action: { type: 'status', status: 503, retryAfter: 2 } });
    assert.deepEqual((await mock.faults()).map((f) => f.id), [id]);
    const first = await mock.request('GET', '/v1/credits', { query: { apiKey: DEV_KEY } });
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('retry-after'), '2');
    assert.equal((await mock.request('GET', '/v1/credits', { query: { apiKey: DEV_KEY } })).status, 200);
    const second = await mock.addFault({ match: { path: '/v1/credits' }, action: { type: 'status', status: 500 } });
    await mock.removeFault(second);
    assert.deepEqual((await mock.faults()).map((f) => f.id), [id]);
    await mock.clearFaults();
    assert.deepEqual(await mock.faults(), []);
    await assert.rejects(mock.addFault({ match: { path: '/v1/credits' } }), TypeError);
  });

  test('scenarios', async () => {
    assert.ok((await mock.scenarios()).some((s) => s.name === 'flaky-5xx'));
    await mock.loadScenario('low-credits');
    assert.equal((await mock.account()).credits, 60);
    await mock.loadScenario({ name: 'mine', accounts: { [DEV_KEY]: { credits: 9 } } });
    assert.equal((await mock.account()).credits, 9);
    await assert.rejects(mock.loadScenario('no-such-scenario'), (err) => err.status === 404 && /no-such-scenario/.test(err.message));
  });

  test('journal: count and filters', async () => {
    await builtAudience(mock);
    await builtAudience(mock);
    assert.equal(await mock.count({ method: 'POST', path: '/v1/audiences/*/build' }), 2);
    assert.equal(await mock.count({ method: 'GET', path: '/v1/audiences/*/build' }), 0);
    assert.equal(await mock.count({ path: '/v1/audiences/create', apiKey: DEV_KEY }), 2);
    assert.equal(await mock.count({ path: '/v1/audiences/create', apiKey: 'sk_test_descovo_other' }), 0);
    const entries = await mock.requests({ method: 'POST', path: '/v1/audiences/*/build', limit: 1 });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].status, 200);
    await mock.clearRequests();
    assert.equal(await mock.count({ path: '/v1/**' }), 0);
  });

  test('outbox', async () => {
    const id = await builtAudience(mock);
    await mock.advance(120);
    const body = { apiKey: DEV_KEY, maxProspectsToEnrich: 2, enrichmentType: { getWorkEmails: true }, userEmail: 'qa@example.com' };
    assert.equal((await mock.request('POST', `/v1/audiences/${id}/enrich`, { body })).status, 200);
    assert.deepEqual(await mock.outbox(), []);
    await mock.advance(600);
    // As a client would: the enrichment is seen DONE, then its e-mail is there.
    const status = await mock.request('GET', `/v1/audiences/${id}/enrichment/status`, { query: { apiKey: DEV_KEY } });
    assert.equal(status.body.output.currentStage, 'DONE');
    const messages = await mock.outbox({ to: 'qa@example.com' });
    assert.equal(messages.length, 1);
    assert.equal(messages[0].to, 'qa@example.com');
    assert.deepEqual(await mock.outbox({ to: 'else@example.com' }), []);
    await mock.clearOutbox();
    assert.deepEqual(await mock.outbox(), []);
  });

  test('tenant view', async () => {
    const tenant = mock.tenant('sk_test_descovo_other');
    await builtAudience(mock, 'sk_test_descovo_other');
    await builtAudience(mock);
    assert.equal(await tenant.count({ method: 'POST', path: '/v1/audiences/*/build' }), 1);
    assert.equal((await tenant.account()).audiences, 1);
    const rule = await tenant.addFault({ action: { type: 'status', status: 500 }, times: 1 });
    assert.equal((await mock.faults())[0].match.apiKey, 'sk_test_descovo_other');
    assert.equal((await mock.request('GET', '/v1/credits', { query: { apiKey: DEV_KEY } })).status, 200);
    await mock.removeFault(rule);
    // Per-tenant clocks and resets exist only on a server with tenants.
    const before = (await mock.clock()).nowMs;
    try {
      await tenant.advance(60);
      assert.equal((await tenant.clock()).nowMs, before + 60000);
      assert.equal((await mock.clock()).nowMs, before);
    } catch (err) {
      if (!(err instanceof TenantsUnsupported)) throw err;
      assert.equal(err.status, 404);
      assert.match(err.message, /\/_mock\/accounts\/sk_test_descovo_other\/clock\/advance/);
    }
  });
});
