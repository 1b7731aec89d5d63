// An example to copy: your client tested against descovo-mock with node:test.
//   DESCOVO_MOCK_BIN=/path/to/descovo-mock node --test example.test.js
// (or descovo-mock on PATH, or DESCOVO_BASE_URL=http://... for a running one,
// e.g. a container). With Jest or Vitest: the same calls in beforeAll,
// beforeEach and afterAll (helpers/node/README.md).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';

import { DescovoMock } from '../index.js'; // your copy of helpers/node/index.js
import * as client from './my-client.js';

const FILTERS = { companySearchParams: { headquartersCountryCode: ['US'] }, maxCompanies: 5, maxProspects: 10 };
let mock;

before(async () => { mock = await DescovoMock.fromEnv(); });
beforeEach(() => mock.reset());
after(() => mock.stop());

test('a build finishes when the clock moves', async () => {
  const id = await client.buildAudience(mock.baseUrl, mock.apiKey, 'US', FILTERS);
  assert.equal(await client.status(mock.baseUrl, mock.apiKey, id), 'BUILDING');
  await mock.advance(60); // no sleep: the manual clock
  assert.equal(await client.status(mock.baseUrl, mock.apiKey, id), 'NORMAL');
  assert.equal(await mock.count({ method: 'POST', path: '/v1/audiences/*/build' }), 1);
});

test('out of credits is reported', async () => {
  await mock.setAccount({ credits: 0 });
  await assert.rejects(client.buildAudience(mock.baseUrl, mock.apiKey, 'US', FILTERS), client.OutOfCredits);
});

test('a 503 is retried after its Retry-After', async () => {
  await mock.addFault({ match: { path: '/v1/credits' }, times: 1, action: { type: 'status', status: 503, retryAfter: 2 } });
  const slept = [];
  assert.equal(await client.credits(mock.baseUrl, mock.apiKey, { sleep: async (s) => { slept.push(s); } }), 50000);
  assert.deepEqual(slept, [2]);
  assert.equal(await mock.count({ method: 'GET', path: '/v1/credits' }), 2);
});
