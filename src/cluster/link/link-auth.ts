import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Mutual challenge–response between two nodes that share the cluster
 * secret (`[cluster] secret`, PLEXSPACES_CLUSTER_SECRET). The secret never
 * crosses the wire and a recorded handshake is worthless later: each side
 * proves it knows the secret by MACing a fresh nonce of the other side.
 *
 *   dialer → listener   hello  {node, incarnation, nonce_d}
 *   listener → dialer   proof  {node, incarnation, nonce_l, mac(nonce_d)}
 *   dialer → listener   proof  {mac(nonce_l)}
 *
 * A MAC covers the nonce and both ends' names and roles, so a proof made
 * for one connection or direction cannot be replayed on another.
 */
export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function linkMac(secret: string, role: 'listener' | 'dialer', nonce: string, from: string, to: string): string {
  return createHmac('sha256', secret).update(`plexspaces-link/1\n${role}\n${nonce}\n${from}\n${to}`).digest('base64url');
}

/** Constant-time comparison of two MACs (a wrong length is simply wrong). */
export function macMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
