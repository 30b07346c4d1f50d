'use strict';
/* global AbortSignal */
// A small JSON client for seeding and checks (the load itself is autocannon's).

class ApiError extends Error {
  constructor(what, res) {
    super(`${what}: HTTP ${res.status} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`.slice(0, 600));
    this.status = res.status;
  }
}

class ApiClient {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** One request, bounded to 30 s; answers {status, headers, body} whatever the status. */
  async request(method, path, { token, body, headers = {} } = {}) {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** Like request(), but throws an ApiError unless the status is `expected`. */
  async expect(expected, what, method, path, options) {
    const res = await this.request(method, path, options);
    if (res.status !== expected) throw new ApiError(what, res);
    return res.body;
  }
}

/** Runs `work(item)` over `items` with at most `limit` in flight. */
async function inBatches(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

module.exports = { ApiClient, ApiError, inBatches };
