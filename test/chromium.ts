/** Debian's headless Chromium driven by playwright-core (no browser download; `.ci/run` installs it). */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Launches it, or fails with what to install: a missing browser is never a silent skip. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `This test needs Debian's chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it).`,
    );
  }
  // The flags keep it off this machine's closed network; playwright gives each launch a fresh
  // user-data dir of its own (removed on close).
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
