// Child process: the least a gateway that reads JSON must do, and nothing else: node:http in front of
// an undici Pool, the request body read and parsed, its model set, serialised again; the answer read,
// parsed, its model set, serialised again (a stream's events pass through as they come). No routing,
// no failover, no events, no store. What any translating gateway pays over the bare pass-through
// (bare-proxy.mjs) before its first feature. argv[2]: the upstream URL.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { serve } from './common.mjs';

serve(async () => {
  const pool = new Pool(process.argv[2], { connections: 256, keepAliveTimeout: 30_000 });
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const upstream = await pool.request({
          method: 'POST',
          path: req.url,
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
          body: JSON.stringify({ ...request, model: request.model }),
        });
        if (request.stream === true) {
          // A stream's events pass through as they come (rewriting each one is the gateway's job).
          res.writeHead(upstream.statusCode, { 'content-type': 'text/event-stream' });
          upstream.body.on('error', () => res.destroy());
          res.on('close', () => upstream.body.destroy());
          upstream.body.pipe(res);
          return;
        }
        const answer = JSON.parse(await upstream.body.text());
        const text = JSON.stringify({ ...answer, model: request.model });
        res.writeHead(upstream.statusCode, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(text);
      } catch {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      server.closeAllConnections();
      await pool.destroy();
    },
  };
});
