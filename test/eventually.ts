/** Polls `check` every `pollMs` until it holds; throws once `ms` have passed without it (tests only). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 3_000,
  pollMs = 5,
): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
