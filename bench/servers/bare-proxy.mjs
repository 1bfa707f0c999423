// Child process: the bare pass-through — node:http in front of an undici Pool, nothing else.
// What one Node hop costs; the gateway's floor. argv[2]: the upstream URL.
import { createServer } from 'node:http';
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
  const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
    try {
      const upstream = await pool.request({
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers),
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      });
      res.writeHead(upstream.statusCode, endToEnd(upstream.headers));
      // .pipe, not stream.pipeline: pipeline costs an AbortController (and a DOMException) per call.
      upstream.body.on('error', () => res.destroy());
      res.on('close', () => upstream.body.destroy());
      upstream.body.pipe(res);
    } catch {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
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
