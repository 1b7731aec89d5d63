// descovo-mock-helper: start and drive a descovo-mock from Node tests
// (node:test, Jest, Vitest). ESM, Node 18+, no dependencies.
//
//   import { DescovoMock } from './helpers/node/index.js';
//   const mock = await DescovoMock.start();        // a fresh server on a free port
//   await myClient(mock.baseUrl, mock.apiKey).createAudience('AI VPs in US');
//   await mock.advance(30);                        // builds finish: no sleeps
//   assert.equal(await mock.count({ method: 'POST', path: '/v1/audiences/*/build' }), 1);
//   await mock.stop();
//
// DescovoMock.start() runs $DESCOVO_MOCK_BIN, else descovo-mock on PATH, with
// --port 0 --clock manual --quiet --ready-file, and waits for GET
// /_mock/health. DescovoMock.connect(url) uses a running one (a container);
// DescovoMock.fromEnv() connects to $DESCOVO_BASE_URL when set and starts one
// otherwise. Every body is sent as JSON with Content-Type: application/json
// (fetch's default, text/plain, gets a 415 from the control plane).

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const DEV_KEY = 'sk_test_descovo_dev';

// descovo-mock's exit statuses (docs/API.md, "Start-up contract").
export const EXIT_STATUSES = Object.freeze({
  1: 'internal error',
  2: 'usage: a bad option, value or combination',
  3: 'cannot listen on the address and port',
  4: 'the keys file or the scenario cannot be read or is invalid',
  5: 'the state file cannot be opened, belongs to another server, or is damaged',
  6: 'the ready file cannot be written',
});

/** A control-plane call answered other than 200. */
export class DescovoMockError extends Error {
  constructor(method, path, status, body) {
    const message = body && typeof body === 'object' && body.error ? body.error.message : JSON.stringify(body);
    super(`${method} ${path}: HTTP ${status}: ${message}`);
    this.name = 'DescovoMockError';
    Object.assign(this, { method, path, status, body });
  }
}

/** descovo-mock did not start: its exit status and what it printed. */
export class DescovoMockStartError extends Error {
  constructor(message, { exitCode = null, output = '' } = {}) {
    let text = message;
    if (exitCode !== null) text += ` (exit status ${exitCode}: ${EXIT_STATUSES[exitCode] ?? 'unknown'})`;
    if (output.trim()) text += `\n${output.trim()}`;
    super(text);
    this.name = 'DescovoMockStartError';
    Object.assign(this, { exitCode, output });
  }
}

/** This descovo-mock has no per-tenant control plane. */
export class TenantsUnsupported extends DescovoMockError {
  constructor(...args) {
    super(...args);
    this.name = 'TenantsUnsupported';
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The descovo-mock to start: binary, else $DESCOVO_MOCK_BIN, else PATH. */
export function findBinary(binary) {
  const given = binary || process.env.DESCOVO_MOCK_BIN;
  if (given) {
    if (!isExecutable(given)) throw new DescovoMockStartError(`${given}: not an executable file`);
    return given;
  }
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    const candidate = join(dir || '.', 'descovo-mock');
    if (existsSync(candidate) && isExecutable(candidate)) return candidate;
  }
  throw new DescovoMockStartError(
    'descovo-mock not found: install the package, set DESCOVO_MOCK_BIN, or set DESCOVO_BASE_URL to a running one');
}

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// Children still running when the test process exits are killed with it.
const live = new Set();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const enc = encodeURIComponent;

function journalQuery({ method, path, apiKey, status, since, limit } = {}) {
  return { method, path, apiKey, status, since, limit };
}

function faultRule(rule) {
  if (!rule || typeof rule !== 'object' || !rule.action) {
    throw new TypeError('addFault: a rule needs an "action", e.g. {type: "status", status: 503}');
  }
  return rule;
}

/** The HTTP calls shared by a server and its tenants. */
class Control {
  /**
   * Sends one request. body (any JSON value) is sent as JSON; query values
   * that are undefined or null are left out. Returns {status, body, headers}
   * with body parsed when it is JSON.
   */
  async request(method, path, { body, query, headers = {} } = {}) {
    let url = this.baseUrl + path;
    const pairs = Object.entries(query || {}).filter(([, v]) => v !== undefined && v !== null);
    if (pairs.length) url += '?' + pairs.map(([k, v]) => `${enc(k)}=${enc(String(v)).replace(/%2F/g, '/').replace(/%2A/g, '*')}`).join('&');
    const sent = { accept: 'application/json', ...headers };
    if (body !== undefined) sent['content-type'] = 'application/json';
    if (this.adminToken && path.startsWith('/_mock/')) sent['x-mock-admin-token'] = this.adminToken;
    const res = await fetch(url, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (a CSV download): the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** A control-plane call that must answer 200; returns its output. */
  async call(method, path, body, query) {
    const res = await this.request(method, path, { body, query });
    if (res.status !== 200) throw new DescovoMockError(method, path, res.status, res.body);
    return res.body && typeof res.body === 'object' && 'output' in res.body ? res.body.output : res.body;
  }
}

export class DescovoMock extends Control {
  /** Use start(), connect() or fromEnv(). */
  constructor(baseUrl, { adminToken, apiKey = DEV_KEY, timeoutMs = 10000, child = null, workdir = null } = {}) {
    super();
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.adminToken = adminToken ?? (process.env.DESCOVO_ADMIN_TOKEN || null);
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
    this.child = child;
    this.workdir = workdir;
    this.port = Number(new URL(this.baseUrl).port) || null;
    this.pid = child ? child.pid : null;
    this.version = null;
  }

  /**
   * Starts descovo-mock on a free loopback port and waits until it is
   * healthy. options.args: more options (['--scenario', 'flaky-5xx']).
   */
  static async start({ args = [], binary, clock = 'manual', adminToken, apiKey = DEV_KEY, startTimeoutMs = 10000, env } = {}) {
    const program = findBinary(binary);
    const workdir = mkdtempSync(join(tmpdir(), 'descovo-mock-'));
    const ready = join(workdir, 'ready.json');
    const logPath = join(workdir, 'output.log');
    const childEnv = { ...(env ?? process.env) };
    if (adminToken) childEnv.DESCOVO_ADMIN_TOKEN = adminToken; // not in argv: ps shows argv
    const log = openSync(logPath, 'w');
    const child = spawn(program, ['--port', '0', '--clock', clock, '--quiet', '--ready-file', ready, ...args],
      { stdio: ['ignore', log, log], env: childEnv });
    closeSync(log);
    live.add(child);
    let exitCode = null;
    let spawnError = null;
    const exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exitCode = code ?? signal;
        live.delete(child);
        resolve();
      });
      child.on('error', (err) => {
        spawnError = err;
        live.delete(child);
        resolve();
      });
    });
    const fail = (message, code = null) => {
      const output = readText(logPath);
      rmSync(workdir, { recursive: true, force: true });
      return new DescovoMockStartError(message, { exitCode: code, output });
    };
    const deadline = Date.now() + startTimeoutMs;
    // Whole or absent: the server renames the file into place.
    while (!existsSync(ready)) {
      if (spawnError) throw fail(`${program}: ${spawnError.message}`);
      if (exitCode !== null) throw fail(`${program} exited before serving`, exitCode);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await exited;
        throw fail(`${program} did not start within ${startTimeoutMs} ms`);
      }
      await sleep(10);
    }
    const info = JSON.parse(readFileSync(ready, 'utf8'));
    const mock = new DescovoMock(info.url, { adminToken: childEnv.DESCOVO_ADMIN_TOKEN || '', apiKey, child, workdir });
    Object.assign(mock, { port: info.port, pid: info.pid, version: info.version, exited });
    try {
      await mock.waitHealthy({ timeoutMs: Math.max(0, deadline - Date.now()) + 1000 });
    } catch (err) {
      await mock.stop();
      throw err;
    }
    return mock;
  }

  /** Uses a descovo-mock that runs already; waits for it to be healthy. */
  static async connect(baseUrl, { adminToken, apiKey, waitMs = 10000 } = {}) {
    const mock = new DescovoMock(baseUrl, { adminToken, apiKey: apiKey || process.env.DESCOVO_API_KEY || DEV_KEY });
    mock.version = (await mock.waitHealthy({ timeoutMs: waitMs })).version;
    return mock;
  }

  /** connect($DESCOVO_BASE_URL) when set, else start(options). */
  static async fromEnv(options = {}) {
    const url = process.env.DESCOVO_BASE_URL;
    if (url) return DescovoMock.connect(url, { adminToken: options.adminToken, apiKey: options.apiKey });
    return DescovoMock.start(options);
  }

  /** True when this object started the server (and stop() stops it). */
  get started() {
    return this.child !== null;
  }

  /**
   * Stops a server this object started (SIGTERM, SIGKILL after timeoutMs);
   * resolves to its exit status. A connected server keeps running (null).
   */
  async stop({ timeoutMs = 10000 } = {}) {
    if (!this.child) return null;
    const child = this.child;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.workdir) rmSync(this.workdir, { recursive: true, force: true });
    this.workdir = null;
    return child.exitCode ?? child.signalCode;
  }

  async [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    await this.stop();
  }

  // --- the control plane (docs/API.md, "Control plane") -----------------------

  health() {
    return this.call('GET', '/_mock/health');
  }

  /** Polls GET /_mock/health until 200 (503 while a state file replays). */
  async waitHealthy({ timeoutMs = 10000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last = null;
    for (;;) {
      try {
        const res = await this.request('GET', '/_mock/health');
        if (res.status === 200) return res.body.output;
        if (res.status === 401 || res.status === 404) throw new DescovoMockError('GET', '/_mock/health', res.status, res.body);
        last = `HTTP ${res.status}`;
      } catch (err) {
        if (err instanceof DescovoMockError) throw err;
        last = err.cause?.code || err.message;
      }
      if (Date.now() > deadline) throw new DescovoMockStartError(`${this.baseUrl} is not healthy after ${timeoutMs} ms: ${last}`);
      await sleep(20);
    }
  }

  /** A fresh server: no audiences, keys restored, faults/journal/outbox cleared, clock rewound. */
  async reset() {
    await this.call('POST', '/_mock/reset');
  }

  /** {mode, now, nowMs, scale} */
  clock() {
    return this.call('GET', '/_mock/clock');
  }

  /** Moves the manual clock: builds and enrichments progress at once. */
  advance(seconds) {
    return this.call('POST', '/_mock/clock/advance', { seconds });
  }

  /** {apiKey, credits, exportQuota, exportRowsUsed, audiences} */
  account(apiKey = this.apiKey) {
    return this.call('GET', `/_mock/accounts/${enc(apiKey)}`);
  }

  /** setAccount({credits, exportQuota, exportRowsUsed, apiKey}): sets what is given. */
  setAccount({ apiKey = this.apiKey, ...fields } = {}) {
    return this.call('PUT', `/_mock/accounts/${enc(apiKey)}`, fields);
  }

  async faults() {
    return (await this.call('GET', '/_mock/faults')).faults;
  }

  /** Adds a fault rule {match, action, times, after, probability, seed}; resolves to its id. */
  async addFault(rule) {
    return (await this.call('POST', '/_mock/faults', faultRule(rule))).id;
  }

  async removeFault(id) {
    await this.call('DELETE', `/_mock/faults/${Number(id)}`);
  }

  async clearFaults() {
    await this.call('DELETE', '/_mock/faults');
  }

  /** The built-in scenarios: [{name, description}] */
  async scenarios() {
    return (await this.call('GET', '/_mock/scenarios')).scenarios;
  }

  /** A built-in scenario by name, or a whole scenario object. */
  loadScenario(scenario) {
    return this.call('POST', '/_mock/scenarios', typeof scenario === 'string' ? { name: scenario } : scenario);
  }

  /** The journal's entries, oldest first; path is a glob ('/v1/audiences/*\/build'). */
  async requests(filter = {}) {
    return (await this.call('GET', '/_mock/requests', undefined, journalQuery(filter))).entries;
  }

  /** How many journal entries match: count({method: 'POST', path: '/v1/audiences/*\/build'}). */
  async count(filter = {}) {
    return (await this.call('GET', '/_mock/requests', undefined, journalQuery({ ...filter, limit: undefined }))).count;
  }

  async clearRequests() {
    await this.call('DELETE', '/_mock/requests');
  }

  /** The e-mails the real service would have sent: [{time, to, subject, body, links}] */
  async outbox({ to } = {}) {
    return (await this.call('GET', '/_mock/outbox', undefined, { to })).messages;
  }

  async clearOutbox() {
    await this.call('DELETE', '/_mock/outbox');
  }

  /** The per-tenant view of one key, on a server with the tenant capability. */
  tenant(apiKey) {
    return new Tenant(this, apiKey);
  }
}

/**
 * One API key's part of a shared server: the /_mock/accounts/{key}/...
 * routes. Extension point: on a server without them, every per-tenant call
 * rejects with TenantsUnsupported (the journal and account calls work anywhere).
 */
export class Tenant extends Control {
  constructor(mock, apiKey) {
    super();
    Object.assign(this, { mock, apiKey, baseUrl: mock.baseUrl, adminToken: mock.adminToken, timeoutMs: mock.timeoutMs });
    this.prefix = `/_mock/accounts/${enc(apiKey)}`;
  }

  async tenantCall(method, tail, body) {
    const path = this.prefix + tail;
    const res = await this.request(method, path, { body });
    if ((res.status === 404 || res.status === 405) && JSON.stringify(res.body).includes('No such endpoint')) {
      throw new TenantsUnsupported(method, path, res.status, res.body);
    }
    if (res.status !== 200) throw new DescovoMockError(method, path, res.status, res.body);
    return res.body.output ?? res.body;
  }

  account() {
    return this.mock.account(this.apiKey);
  }

  setAccount(fields = {}) {
    return this.mock.setAccount({ ...fields, apiKey: this.apiKey });
  }

  async reset() {
    await this.tenantCall('POST', '/reset');
  }

  clock() {
    return this.tenantCall('GET', '/clock');
  }

  advance(seconds) {
    return this.tenantCall('POST', '/clock/advance', { seconds });
  }

  loadScenario(scenario) {
    return this.tenantCall('POST', '/scenario', typeof scenario === 'string' ? { name: scenario } : scenario);
  }

  async faults() {
    return (await this.tenantCall('GET', '/faults')).faults;
  }

  async clearFaults() {
    await this.tenantCall('DELETE', '/faults');
  }

  /** A global rule whose match is this key. */
  addFault(rule) {
    const whole = faultRule(rule);
    return this.mock.addFault({ ...whole, match: { ...(whole.match || {}), apiKey: this.apiKey } });
  }

  requests(filter = {}) {
    return this.mock.requests({ ...filter, apiKey: this.apiKey });
  }

  count(filter = {}) {
    return this.mock.count({ ...filter, apiKey: this.apiKey });
  }
}
