import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/test-prerequisites.mjs installs it): playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Starts headless Chromium; fails with the command to run when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run node scripts/test-prerequisites.mjs (apt-get install chromium)`);
  // --no-sandbox: the tests may run as root (CI containers), where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/**
 * A new page that records every console error and uncaught exception, for a
 * test to assert there were none (`errors()`), or to `forget()` the ones it
 * provoked on purpose.
 */
export async function watchedPage(browser: Browser): Promise<{ page: Page; errors(): string[]; forget(): void }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  let errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  return { page, errors: () => [...errors], forget: () => (errors = []) };
}
