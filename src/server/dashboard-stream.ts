import { InvalidArgumentError, shown } from '../errors.js';
import type { Principal } from './auth.js';
import type { DashboardData } from './dashboard-data.js';

/** What `dashboard.subscribe` can stream: each is the JSON of the matching GET /api/v1/dashboard/… route. */
export const DASHBOARD_PAGES = ['overview', 'actors', 'spaces', 'shard-groups', 'jobs', 'coordination', 'pipelines'] as const;
export type DashboardPage = (typeof DASHBOARD_PAGES)[number];

export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1000;
/** Fastest a client may ask for: each snapshot walks every actor or space of the node. */
export const MIN_SNAPSHOT_INTERVAL_MS = 250;

/**
 * One snapshot of `page` for `principal` (the overview without its history: the client keeps the
 * charts' past). `coordination` is one scope's: `args.tenant` and `args.namespace`, as in its route.
 */
export async function snapshot(data: DashboardData, principal: Principal, page: DashboardPage, args: Record<string, unknown> = {}, authorization?: string): Promise<unknown> {
  switch (page) {
    case 'overview':
      return data.overview(principal, { history: false, authorization });
    case 'actors':
      return { actors: await data.actors(principal) };
    case 'spaces':
      return { spaces: await data.spaces(principal) };
    case 'shard-groups':
      return { groups: data.shardGroups(principal) };
    case 'jobs':
      return { jobs: data.jobs(principal) };
    case 'pipelines':
      return { pipelines: await data.pipelines(principal) };
    case 'coordination':
      return data.coordination(principal, String(args.tenant ?? principal.tenant), String(args.namespace ?? 'default'));
  }
}

/**
 * The websocket's `dashboard.subscribe`: sends a snapshot of `page` at once
 * and then every `intervalMs` until `signal` aborts (a `cancel`, or the
 * socket closing); resolves with the number sent. `authorization`: the
 * socket's token, for the overview's figures of the other nodes. Snapshots never overlap:
 * the next is taken only after the previous was handed to `send`.
 */
export async function streamDashboard(data: DashboardData, principal: Principal, args: Record<string, unknown>, signal: AbortSignal, send: (data: unknown) => void, authorization?: string): Promise<{ snapshots: number }> {
  const page = (args.page ?? 'overview') as DashboardPage;
  if (!DASHBOARD_PAGES.includes(page)) throw new InvalidArgumentError(`page must be one of ${DASHBOARD_PAGES.join(', ')}, got ${shown(args.page)}`);
  const intervalMs = args.intervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < MIN_SNAPSHOT_INTERVAL_MS) {
    throw new InvalidArgumentError(`intervalMs must be a number ≥ ${MIN_SNAPSHOT_INTERVAL_MS}, got ${shown(args.intervalMs)}`);
  }
  let sent = 0;
  while (!signal.aborted) {
    send(await snapshot(data, principal, page, args, authorization));
    sent++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, intervalMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
  return { snapshots: sent };
}
