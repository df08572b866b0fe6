import { resolve } from 'node:path';
import { SpaceRegistry } from '../space/space-registry.js';

export interface PlexNodeOptions {
  /** Where durable state lives. Default `./.plexspaces`; `null` keeps everything in memory. */
  dataDir?: string | null;
}

export const DEFAULT_DATA_DIR = './.plexspaces';

/**
 * A PlexSpaces node: the named tuple spaces (and, as the platform grows, the
 * actor runtime and the network surfaces) with one lifecycle. Embedded
 * defaults: in-memory spaces made durable in SQLite under `dataDir`.
 */
export class PlexNode {
  readonly dataDir: string | null;
  readonly spaces: SpaceRegistry;
  private stopping: Promise<void> | undefined;

  constructor(options: PlexNodeOptions = {}) {
    this.dataDir = options.dataDir === null ? null : resolve(options.dataDir ?? DEFAULT_DATA_DIR);
    this.spaces = new SpaceRegistry(this.dataDir === null ? {} : { dataDir: this.dataDir });
  }

  /** Drains and flushes: pending operations are rejected, durable state is on disk when this resolves. */
  stop(): Promise<void> {
    this.stopping ??= this.spaces.close();
    return this.stopping;
  }
}
