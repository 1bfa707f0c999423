// Child process: the same pass-through as bare-proxy.mjs, written with Fastify 5 (logger off,
// body streamed through), so the benchmark shows what the framework itself costs. argv[2]: the upstream URL.
import Fastify from 'fastify';
import { Pool } from 'undici';
import { serve } from './common.mjs';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade']);
const endToEnd = (headers) => {
  const out = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
};

serve(async () => {
  const pool = new Pool(process.argv[2], { connections: 256, keepAliveTimeout: 30_000 });
  const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
  // Pass the body through untouched, as a stream (like bare-proxy.mjs): no buffering, no JSON parse.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.all('/*', async (request, reply) => {
    const upstream = await pool.request({
      method: request.method,
      path: request.url,
      headers: endToEnd(request.headers),
      body: request.body ?? null,
    });
    return reply.code(upstream.statusCode).headers(endToEnd(upstream.headers)).send(upstream.body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
});
