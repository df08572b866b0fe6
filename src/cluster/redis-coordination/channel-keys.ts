import { checkChannelName } from '../../coord/channels.js';
import { queueChannelSettings, type QueueChannelOptions } from '../../coord/queue-channel.js';
import { checkScope, type Scope } from '../../coord/scope.js';
import { scopePrefix } from './scope-keys.js';

/** The keys every channel script takes: the channel's base key and its scope's kinds hash. */
export function channelKeys(scope: Scope, name: string): { base: string; kinds: string; events: string } {
  const p = scopePrefix(scope);
  const base = `${p}:ch:${name}`;
  return { base, kinds: `${p}:ch:kinds`, events: `${base}/ev` };
}

/** KEYS and the leading ARGV of every queue script (validates the scope, name and options). */
export function queueScriptHead(scope: Scope, name: string, options: QueueChannelOptions | undefined, create: boolean): string[] {
  checkScope(scope);
  checkChannelName(name);
  const s = queueChannelSettings(options);
  const { base, kinds } = channelKeys(scope, name);
  return [base, kinds, name, ...[s.capacity, s.maxDeliveries, s.visibilityTimeoutMs, s.deadLetterCapacity, s.maxMessageBytes].map(String), create ? '1' : '0'];
}
