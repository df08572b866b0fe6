import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a tenant asked for when it created a shard group: enough to create it again after a restart. */
export interface ShardGroupDefinition {
  readonly tenant: string;
  readonly namespace: string;
  /** The group's id in its tenant and namespace. */
  readonly id: string;
  /** The application whose module the shards run (by id or name, as given at create). */
  readonly application: string;
  /** The shard count now (a `scale` rewrites it). */
  readonly shards: number;
  readonly partition?: 'hash' | 'consistent-hash';
  readonly config?: string;
  readonly maxInFlight?: number;
  readonly createdAt: string;
}

/**
 * Tenants' shard-group definitions under `<dataDir>/shard-groups/<tenant>/<namespace>/<id>.json`,
 * written when a group is created or scaled and removed when it is deleted,
 * so a restarted node creates its groups again (after its applications,
 * whose modules they run). Shard state is not kept: a group comes back
 * empty, as its actors would. Without a data directory nothing is kept.
 *
 * Tenant, namespace and group ids are checked ids (1–64 of A–Z a–z 0–9 _ . -,
 * not starting with `.`), so they are safe path segments.
 */
export class ShardGroupStore {
  private readonly root: string | null;

  constructor(dataDir: string | null) {
    this.root = dataDir === null ? null : join(dataDir, 'shard-groups');
  }

  /** Writes the definition whole or not at all (a temporary file renamed over the old one). */
  save(definition: ShardGroupDefinition): void {
    if (this.root === null) return;
    const dir = join(this.root, definition.tenant, definition.namespace);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${definition.id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(definition, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  remove(tenant: string, namespace: string, id: string): void {
    if (this.root === null) return;
    rmSync(join(this.root, tenant, namespace, `${id}.json`), { force: true });
  }

  /** Every kept definition, and the files that could not be read (with why). */
  list(): { definitions: ShardGroupDefinition[]; unreadable: { file: string; error: string }[] } {
    const definitions: ShardGroupDefinition[] = [];
    const unreadable: { file: string; error: string }[] = [];
    if (this.root === null) return { definitions, unreadable };
    for (const tenant of directories(this.root)) {
      for (const namespace of directories(join(this.root, tenant))) {
        const dir = join(this.root, tenant, namespace);
        for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
          const file = join(dir, name);
          try {
            const definition = JSON.parse(readFileSync(file, 'utf8')) as ShardGroupDefinition;
            // The path is the authority on whose group it is, whatever the file says.
            definitions.push({ ...definition, tenant, namespace, id: name.slice(0, -'.json'.length) });
          } catch (error) {
            unreadable.push({ file, error: (error as Error).message });
          }
        }
      }
    }
    return { definitions, unreadable };
  }
}

function directories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}
