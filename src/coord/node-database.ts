import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '../errors.js';

/**
 * The SQLite file of a node's coordination state: KV entries, lock
 * versions, reminders, durable-actor journals and checkpoints. Each service
 * creates its own tables in it. `null` gives an in-memory database, so the
 * same code runs embedded without a data directory.
 *
 * WAL with `synchronous = NORMAL`: a committed transaction survives the
 * process being killed (SIGKILL), which is what the durable-actor and
 * reminder guarantees are about; an OS crash may lose the last commits.
 */
export function openNodeDatabase(path: string | null): Database.Database {
  try {
    if (path === null) return new Database(':memory:');
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (cause) {
    throw new StorageError(`cannot open the node database ${path}: ${(cause as Error).message}`, { cause });
  }
}

export type NodeDatabase = Database.Database;
