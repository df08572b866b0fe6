import type { DurableStorage } from '../../actors/durable-storage.js';
import type { RedisClient } from '../redis-client.js';
import { RedisJournal } from './redis-journal.js';
import { RedisReminders } from './redis-reminders.js';

/** Durable actors' storage shared by a cluster's nodes: journals, checkpoints and reminders in Redis. */
export function redisDurableStorage(client: RedisClient): DurableStorage {
  const journal = new RedisJournal(client);
  return { journal, checkpoints: journal, reminders: new RedisReminders(client) };
}
