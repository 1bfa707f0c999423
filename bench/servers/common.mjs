// Shared by the bench's child processes: report readiness to the parent over IPC, exit with it.
/** process.memoryUsage(), after a full GC when asked and the child runs with --expose-gc. */
function memory(gc) {
  if (gc && typeof globalThis.gc === 'function') globalThis.gc();
  return process.memoryUsage();
}

export function serve(start) {
  start()
    .then(({ url, onMessage, close }) => {
      process.on('message', async (message) => {
        if (message?.type === 'stop') {
          await close?.();
          process.exit(0);
        }
        const reply = message?.type === 'memory' ? memory(message.gc) : await onMessage?.(message);
        process.send({ type: 'reply', id: message?.id, reply });
      });
      process.send({ type: 'ready', url, pid: process.pid });
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
  // The parent died or closed the channel: do not linger.
  process.on('disconnect', () => process.exit(0));
}
