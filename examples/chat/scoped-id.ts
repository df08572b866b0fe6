import { host } from 'plexspaces/sdk';

/** The id of actor `name` in the caller's own tenant and namespace (actors of a node are `tenant/namespace/name`). */
export function scopedId(name: string): string {
  const self = host.selfId();
  return `${self.slice(0, self.lastIndexOf('/') + 1)}${name}`;
}
