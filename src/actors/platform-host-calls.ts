import { InvalidArgumentError } from '../errors.js';
import { scopeOfActor } from '../coord/scope.js';
import { HostOp } from '../runtime/core-abi.js';
import { failed, requestFields, type HostCallExtension } from '../runtime/host-services.js';
import { fromUtf8, utf8 } from '../runtime/protocol.js';
import type { ActorSystem } from './actor-system.js';

type Result = { status: number; data?: Uint8Array };

/** Topics of the channels interface are process groups of the caller's scope under this prefix (a name no plain group call makes by accident). */
export const TOPIC_GROUP_PREFIX = '#topic:';

/**
 * The host calls of the capabilities the platform worlds added
 * (wit/platform: channels' topics, registry, http-client, cron; the
 * durability calls are the journal's, durable-journal.ts). Like every host
 * call they run in the caller's scope, and the runtime has already checked
 * that the caller's world imports the capability (capabilities.ts).
 */
export function platformHostCalls(system: ActorSystem): HostCallExtension {
  return (op, request, caller) => {
    const scope = scopeOfActor(caller);
    const text = () => fromUtf8.decode(request);
    const fields = (count: number): string[] => requestFields(op, request, count);
    try {
      switch (op) {
        case HostOp.TopicSubscribe:
          return system.coordination.groups.join(scope, TOPIC_GROUP_PREFIX + text(), caller, []).then(() => ok('ok'), failed);
        case HostOp.TopicUnsubscribe:
          return system.coordination.groups.leave(scope, TOPIC_GROUP_PREFIX + text(), caller).then((left) => ok(left ? 'ok' : 'not-subscribed'), failed);
        case HostOp.TopicPublish: {
          const [topic, type, payload] = fields(2);
          return system.coordination.groups.broadcast(scope, TOPIC_GROUP_PREFIX + topic, type, utf8.encode(payload), caller).then((sent) => ok(String(sent)), failed);
        }
        case HostOp.RegistryRegister: {
          const [service, ttl, metadata] = fields(2);
          return system.registry.register(scope.tenant, service, caller, metadata, Number(ttl)).then((entry) => ok(JSON.stringify(entry)), failed);
        }
        case HostOp.RegistryUnregister:
          return system.registry.unregister(scope.tenant, text(), caller).then((was) => ok(was ? 'ok' : 'not-registered'), failed);
        case HostOp.RegistryLookup:
          return system.registry.lookup(scope.tenant, text()).then((instances) => ok(JSON.stringify(instances)), failed);
        case HostOp.RegistryServices:
          return system.registry.services(scope.tenant, text()).then((names) => ok(JSON.stringify(names)), failed);
        case HostOp.HttpRequest: {
          const [method, url, timeout, headersJson, body] = fields(4);
          let headers: unknown;
          try {
            headers = headersJson === '' ? {} : JSON.parse(headersJson);
          } catch {
            throw new InvalidArgumentError('the headers of an HTTP request must be a JSON object');
          }
          if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) throw new InvalidArgumentError('the headers of an HTTP request must be a JSON object');
          return system.httpClient
            .request(scope, system.runtime.moduleOfActor(caller) ?? '', { method, url, headers: headers as Record<string, string>, body, timeoutMs: Number(timeout) || 0 })
            .then((response) => ok(JSON.stringify(response)), failed);
        }
        case HostOp.CronSchedule: {
          const [name, expr, type, payload] = fields(3);
          return system.cron.schedule(caller, name, expr, type, payload).then((s) => ok(JSON.stringify({ name: s.name, next_ms: s.next_ms })), failed);
        }
        case HostOp.CronCancel:
          return system.cron.cancel(caller, text()).then((was) => ok(was ? 'ok' : 'not-found'), failed);
        case HostOp.CronSchedules:
          return system.cron.schedules(caller).then((list) => ok(JSON.stringify(list.map(({ name, expr, type, next_ms }) => ({ name, expr, type, next_ms })))), failed);
        default:
          return undefined;
      }
    } catch (error) {
      return failed(error);
    }
  };
}

function ok(text: string): Result {
  return { status: 0, data: utf8.encode(text) };
}
