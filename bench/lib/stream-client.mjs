/**
 * Streaming client: sequential requests over one keep-alive connection (undici Client.request).
 * Time to first token = from just before the request is sent to the arrival of the first `data:`
 * event whose delta has content. Total = to the end of the body. Checks the stream ends in [DONE].
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';

function firstContentEnd(text) {
  // Walk complete events; return true once one carries delta content.
  let from = 0;
  for (;;) {
    const end = text.indexOf('\n\n', from);
    if (end === -1) return false;
    const event = text.slice(from, end);
    from = end + 2;
    const data = event.startsWith('data: ') ? event.slice(6) : null;
    if (!data || data === '[DONE]') continue;
    const delta = JSON.parse(data).choices?.[0]?.delta;
    if (typeof delta?.content === 'string' && delta.content.length > 0) return true;
  }
}

export async function measureStreams({ url, body, count }) {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin, { pipelining: 1 });
  const samples = [];
  let errors = 0;
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const res = await client.request({
        method: 'POST',
        path: pathname,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body,
      });
      res.body.setEncoding('utf8');
      let text = '';
      let ttft = NaN;
      for await (const chunk of res.body) {
        text += chunk;
        if (Number.isNaN(ttft) && firstContentEnd(text)) ttft = performance.now() - t0;
      }
      const total = performance.now() - t0;
      const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
      const ok = res.statusCode === 200 && events.at(-1) === 'data: [DONE]' && !Number.isNaN(ttft);
      if (!ok) errors++;
      samples.push({ ttft, total, events: events.length });
    }
  } finally {
    await client.close();
  }
  return { samples, errors };
}
