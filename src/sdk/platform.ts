/**
 * `plexspaces/sdk/platform`: the capabilities only the platform worlds
 * have (wit/platform) — service discovery, outbound HTTP, cron schedules,
 * durability, topics and blocking takes — for SDK actors. `plexspaces
 * build` puts an actor that imports any of them in the narrowest world
 * that covers everything it uses (docs/actors.md, "Worlds").
 *
 * ```ts
 * import { registry, http, cron } from 'plexspaces/sdk/platform';
 * registry.register('pricing', { version: 2 }, 30_000);
 * const quote = http.request('GET', 'https://api.example.com/quote');
 * cron.schedule('nightly', '0 3 * * *', 'compact');
 * ```
 */
import * as cronWorld from 'plexspaces:platform/cron@0.1.0';
import * as durabilityWorld from 'plexspaces:platform/durability@0.1.0';
import * as httpWorld from 'plexspaces:platform/http-client@0.1.0';
import * as registryWorld from 'plexspaces:platform/registry@0.1.0';
import * as channelsWorld from 'plexspaces:platform/channels@0.1.0';
import * as tuplesWorld from 'plexspaces:platform/tuple-space@0.1.0';
import { check, u64 } from './actor.js';

export interface ServiceInstance<M = unknown> {
  readonly actor: string;
  readonly metadata: M;
  readonly expires_at_ms: number;
}

export const registry = {
  /** Registers this actor as an instance of `service` for `ttlMs` (register again to renew); it also goes when the actor exits. */
  register: (service: string, metadata: unknown = {}, ttlMs = 30_000): void => void check(registryWorld.register(service, JSON.stringify(metadata), u64(ttlMs))),
  unregister: (service: string): boolean => check(registryWorld.unregister(service)) === 'ok',
  /** The live instances of `service` in this actor's tenant. */
  lookup: <M = unknown>(service: string): ServiceInstance<M>[] => JSON.parse(check(registryWorld.lookup(service))) as ServiceInstance<M>[],
  services: (prefix = ''): string[] => JSON.parse(check(registryWorld.services(prefix))) as string[],
};

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export const http = {
  /** One request to an origin the application's manifest allows (`[http_client] allow`); throws HostCallError when refused or failed. */
  request: (method: string, url: string, options: { headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): HttpResponse =>
    JSON.parse(check(httpWorld.request(method, url, JSON.stringify(options.headers ?? {}), options.body ?? '', u64(options.timeoutMs ?? 0)))) as HttpResponse,
};

export const cron = {
  /** A message of `msgType` to this actor at every tick of `expr` (UTC; five fields, or six with seconds); answers when it fires next. Survives restarts. */
  schedule: (name: string, expr: string, msgType: string, payload: unknown = {}): { name: string; next_ms: number } =>
    JSON.parse(check(cronWorld.schedule(name, expr, msgType, JSON.stringify(payload)))) as { name: string; next_ms: number },
  cancel: (name: string): boolean => check(cronWorld.cancel(name)) === 'ok',
  list: (): { name: string; expr: string; type: string; next_ms: number }[] => JSON.parse(check(cronWorld.schedules())) as { name: string; expr: string; type: string; next_ms: number }[],
};

export const durability = {
  /** Checkpoints this (durable) actor's state once the current message ends. */
  checkpoint: (): void => void check(durabilityWorld.checkpoint()),
  /** True while the current message is a replay after a crash. */
  isReplaying: (): boolean => durabilityWorld.isReplaying(),
  messageSeq: (): number => Number(durabilityWorld.messageSeq()),
  /** The journaled clock: a replay sees the time the first run saw. */
  nowMs: (): number => Number(durabilityWorld.nowMs()),
};

export const topics = {
  subscribe: (topic: string): void => void check(channelsWorld.subscribe(topic)),
  unsubscribe: (topic: string): boolean => check(channelsWorld.unsubscribe(topic)) === 'ok',
  /** Sends to every subscriber of `topic` in this actor's scope; returns how many. */
  publish: (topic: string, msgType: string, payload: unknown = {}): number => Number(check(channelsWorld.publish(topic, msgType, JSON.stringify(payload)))),
};

export const tuples = {
  /** Takes a match of `template`, waiting up to `timeoutMs` (the actor blocks, the node does not); null on timeout. */
  takeWait: <T extends unknown[] = unknown[]>(template: readonly unknown[], timeoutMs: number): T | null => {
    const result = check(tuplesWorld.takeWait(JSON.stringify(template), u64(timeoutMs)));
    return result === '' ? null : (JSON.parse(result) as T);
  },
  /**
   * Linda's eval from inside an actor: `{"$eval": {"module", "task", "args"}}` (or `{"actor", "message", "args"}`)
   * fields run in parallel on the node's worker pool; the finished tuple is written to this actor's space and returned.
   * The actor waits meanwhile, so a computation must not ask this actor itself.
   */
  eval: <T extends unknown[] = unknown[]>(tuple: readonly unknown[], options: { onError?: 'value' | 'reject'; timeoutMs?: number } = {}): T =>
    JSON.parse(check(tuplesWorld.evalTuple(JSON.stringify(tuple), options.onError ?? '', u64(options.timeoutMs ?? 0)))) as T,
};
