/** How long the overview waits for another node's figures before showing it without them. */
export const PEER_TIMEOUT_MS = 1500;

/** What the overview shows of another node of the cluster: its own overview's figures, read over its HTTP port. */
export interface PeerFigures {
  readonly actors: number;
  readonly cpuPercent: number | null;
  readonly rssBytes: number;
}

/**
 * Reads another node's CPU, memory and actor count from its own
 * `GET /api/v1/dashboard/overview?history=false&peers=false` (no fan-out
 * from there), with the caller's token: the other node checks it as it
 * checks every request, so an operator's token reads what an operator may
 * (the nodes of a cluster share their auth config). Undefined when the
 * node does not answer in time or refuses: the overview still lists it.
 */
export async function peerFigures(http: string, authorization: string | undefined): Promise<PeerFigures | undefined> {
  try {
    const response = await fetch(new URL('/api/v1/dashboard/overview?history=false&peers=false', http), {
      headers: authorization === undefined ? {} : { authorization },
      signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
    });
    if (!response.ok) return undefined;
    const overview = (await response.json()) as { node?: { actors?: unknown; process?: { cpuPercent?: unknown; rssBytes?: unknown } | null } };
    const process = overview.node?.process;
    if (process === null || process === undefined || typeof overview.node?.actors !== 'number' || typeof process.rssBytes !== 'number') return undefined;
    return { actors: overview.node.actors, cpuPercent: typeof process.cpuPercent === 'number' ? process.cpuPercent : null, rssBytes: process.rssBytes };
  } catch {
    return undefined;
  }
}
