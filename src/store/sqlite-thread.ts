/**
 * The SQLite thread's code: a small, generic executor of the SQL the main thread sends (sqlite.ts
 * builds every statement; this runs them). better-sqlite3 is synchronous, so it runs on a worker
 * thread: writing a batch or sorting a window for percentiles never holds the gateway's event loop.
 * Plain JavaScript run with `eval`, so it needs no build step of its own (the tests run from source).
 *
 * Messages in: { id, op, arg } with op `migrate` (versioned migrations, PRAGMA user_version), `write`
 * (statements, each with rows of values, in one IMMEDIATE transaction; answers the changes per
 * statement), `read` (queries in one read transaction, a consistent snapshot; answers their rows),
 * `close`. Messages out: { id, result } or { id, error }.
 */
export const SQLITE_THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const Database = createRequire(workerData.requireFrom)('better-sqlite3');
let db;
const statements = new Map();
function open() {
  if (db) return db;
  db = new Database(workerData.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Two gateways on one file (a restart overlapping the old process) wait for each other's writes.
  db.pragma('busy_timeout = 5000');
  // A page cache of 2 MB instead of better-sqlite3's 16 MB: the gateway appends and queries recent
  // windows; the OS page cache holds the rest of the file (docs/PERFORMANCE.md).
  db.pragma('cache_size = -2000');
  return db;
}
function prepare(text) {
  let s = statements.get(text);
  if (!s) {
    s = open().prepare(text);
    if (statements.size < 256) statements.set(text, s);
  }
  return s;
}
const ops = {
  migrate(list) {
    const d = open();
    d.transaction(() => {
      const current = Number(d.pragma('user_version', { simple: true }));
      for (const m of list) {
        if (m.version <= current) continue;
        for (const sql of m.sql) d.exec(sql);
        d.pragma('user_version = ' + Number(m.version));
      }
    }).immediate();
  },
  write(list) {
    return open()
      .transaction(() =>
        list.map((s) => {
          const st = prepare(s.text);
          let changes = 0;
          for (const row of s.rows) changes += st.run(...row).changes;
          return changes;
        }),
      )
      .immediate();
  },
  read(list) {
    return open().transaction(() => list.map((q) => prepare(q.text).all(...q.values)))();
  },
  close() {
    if (db && db.open) db.close();
    db = undefined;
    statements.clear();
  },
};
parentPort.on('message', ({ id, op, arg }) => {
  try {
    parentPort.postMessage({ id, result: ops[op](arg) });
  } catch (error) {
    parentPort.postMessage({ id, error: error && error.message ? error.message : String(error) });
  }
});
`;
