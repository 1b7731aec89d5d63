// The code under test in the example: a tiny client of the Descovo API, as
// your project would have one (yours is probably bigger).
export class OutOfCredits extends Error {}

async function call(baseUrl, method, path, body) {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** The balance; retries a 503 after its Retry-After. */
export async function credits(baseUrl, apiKey, { retries = 3, sleep = (s) => new Promise((r) => setTimeout(r, s * 1000)) } = {}) {
  for (let attempt = 0; ; attempt++) {
    const res = await call(baseUrl, 'GET', `/v1/credits?apiKey=${apiKey}`);
    if (res.status === 503 && attempt < retries) {
      await sleep(Number(res.headers.get('retry-after') || 1));
      continue;
    }
    if (res.status !== 200) throw new Error(`credits: HTTP ${res.status}`);
    return res.body.output.credits;
  }
}

/** Creates an audience, sets its filters, starts the build; resolves to its id. */
export async function buildAudience(baseUrl, apiKey, name, filters) {
  const created = await call(baseUrl, 'POST', '/v1/audiences/create', { apiKey, name });
  const id = created.body.output.audienceId;
  await call(baseUrl, 'PATCH', `/v1/audiences/${id}/search-params`, { ...filters, apiKey });
  const built = await call(baseUrl, 'POST', `/v1/audiences/${id}/build`, { apiKey });
  if (built.status === 402) throw new OutOfCredits(built.body.error.message);
  return id;
}

export async function status(baseUrl, apiKey, id) {
  return (await call(baseUrl, 'GET', `/v1/audiences/${id}?apiKey=${apiKey}`)).body.output.status;
}
