// A fetch that keeps what a client library sent and what came back, so a check can say
// which requests carried the document's text and which only its hash.
export function recordingFetch() {
  const exchanges = [];
  async function recorded(input, init = {}) {
    const url = new URL(typeof input === "string" ? input : input.url);
    const method = (init.method ?? "GET").toUpperCase();
    let body = null;
    if (method === "GET") {
      body = {};
      for (const [key, value] of url.searchParams) {
        body[key] = ["variables", "extensions"].includes(key) ? JSON.parse(value) : value;
      }
    } else if (typeof init.body === "string") {
      body = JSON.parse(init.body);
    }
    const response = await fetch(input, init);
    const answer = await response.clone().json().catch(() => null);
    exchanges.push({
      method,
      operationName: body?.operationName ?? null,
      hash: body?.extensions?.persistedQuery?.sha256Hash ?? null,
      hasText: typeof body?.query === "string" && body.query.length > 0,
      text: body?.query ?? null,
      status: response.status,
      errorCodes: (answer?.errors ?? []).map((error) => error.extensions?.code),
      hasData: answer?.data != null,
    });
    return response;
  }
  return { fetch: recorded, exchanges };
}
