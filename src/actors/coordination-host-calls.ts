import { ForbiddenError } from '../errors.js';
import { checkScope, scopeOfActor, type Scope } from '../coord/scope.js';
import { resolveActorRef } from '../runtime/actor-address.js';
import { HostOp } from '../runtime/core-abi.js';
import { failed, requestFields, splitLines, type HostCallExtension } from '../runtime/host-services.js';
import { fromUtf8, utf8 } from '../runtime/protocol.js';
import type { ActorSystem } from './actor-system.js';

type Result = { status: number; data?: Uint8Array };

const EMPTY = new Uint8Array(0);
/** How long a `channel-send` from an actor waits for room by default before failing (it blocks the actor). */
const CHANNEL_SEND_WAIT_MS = 5000;
/** Longest an actor may block its worker in `lock-acquire` or `channel-receive`. */
const MAX_BLOCK_MS = 60_000;

/**
 * The host calls of links, monitors, timers, process groups, KV, locks,
 * blobs and channels, for core modules (`plex.call` codes in core-abi.ts)
 * and for components (component-actor.ts maps the world's functions to the
 * same codes). Every call runs in the caller's scope: the tenant and
 * namespace of its id (`scopeOfActor`), and every actor it names is
 * resolved in the caller's tenant (`resolveActorRef`): another tenant's is
 * refused with PLEX_ERR_FORBIDDEN. Failures answer `ERROR <code>: …`.
 */
export function coordinationHostCalls(system: ActorSystem): HostCallExtension {
  const { coordination, timers } = system;
  return (op, request, caller) => {
    const scope = scopeOfActor(caller);
    const text = () => fromUtf8.decode(request);
    const fields = (count: number): string[] => requestFields(op, request, count);
    try {
      switch (op) {
        case HostOp.Link:
          // Async only when the other actor runs on another node of the cluster.
          return system.linkAnywhere(caller, resolveActorRef(caller, text())).then(() => ok('ok'), failed);
        case HostOp.Unlink:
          system.unlink(caller, resolveActorRef(caller, text()));
          return ok('ok');
        case HostOp.Monitor:
          return ok(system.monitor(caller, resolveActorRef(caller, text())));
        case HostOp.Demonitor:
          // Refs are sequential, so only the watcher that made one may drop it.
          system.demonitor(text(), caller);
          return ok('ok');
        case HostOp.SendAfter: {
          const [delay, type, payload] = fields(2);
          return ok(timers.sendAfter(caller, Number(delay), type, utf8.encode(payload)));
        }
        case HostOp.SendInterval: {
          const [every, type, payload] = fields(2);
          return ok(timers.interval(caller, Number(every), type, utf8.encode(payload)));
        }
        case HostOp.CancelTimer:
          // Timer ids are sequential: an actor cancels only its own (another's answers not-found, as if absent).
          return ok(timers.ownerOf(text()) === caller && timers.cancel(text()) ? 'ok' : 'not-found');
        // Groups and blobs may live on the cluster's Redis too: their answers are promises.
        case HostOp.PgJoin: {
          const [group, topics] = splitLines(request, 1) === undefined ? [text(), ''] : fields(1);
          return coordination.groups.join(scope, group, caller, topics === '' ? [] : topics.split(',')).then(() => ok('ok'), failed);
        }
        case HostOp.PgLeave:
          return coordination.groups.leave(scope, text(), caller).then((left) => ok(left ? 'ok' : 'not-a-member'), failed);
        case HostOp.PgMembers:
          return coordination.groups.members(scope, text()).then((members) => ok(JSON.stringify(members)), failed);
        case HostOp.PgBroadcast: {
          const [group, type, payload] = fields(2);
          return coordination.groups.broadcast(scope, group, type, utf8.encode(payload), caller).then((sent) => ok(String(sent)), failed);
        }
        case HostOp.PgPublish: {
          const [group, topic, type, payload] = fields(3);
          return coordination.groups.publish(scope, group, topic, type, utf8.encode(payload), caller).then((sent) => ok(String(sent)), failed);
        }
        // KV and locks may live on the cluster's Redis: their answers are promises (the worker waits for them as for lock-acquire).
        case HostOp.KvGet:
          return coordination.kv.get(scope, text()).then((value) => ok(value ?? ''), failed);
        case HostOp.KvPut: {
          const [key, ttl, value] = fields(2);
          return coordination.kv.put(scope, key, value, ttl === '' ? {} : { ttlMs: Number(ttl) }).then(() => ok('ok'), failed);
        }
        case HostOp.KvDelete:
          return coordination.kv.delete(scope, text()).then(() => ok('ok'), failed);
        case HostOp.KvList:
          return coordination.kv.list(scope, text()).then((entries) => ok(JSON.stringify(entries.map((e) => e.key))), failed);
        case HostOp.LockAcquire: {
          const [tenant, namespace, holder, name, leaseSecs, timeoutMs] = fields(5);
          const lockScope = lockScopeFor(scope, tenant, namespace);
          return coordination.locks
            .acquire(lockScope, name, holder === '' ? caller : holder, {
              leaseMs: Number(leaseSecs) * 1000,
              timeoutMs: Math.min(MAX_BLOCK_MS, Number(timeoutMs) || 0),
            })
            .then(
              (grant) => ok(JSON.stringify({ lock_id: grant.lockId, version: grant.version, holder: grant.holder, expires_at_ms: grant.expiresAt })),
              failed,
            );
        }
        case HostOp.LockRelease: {
          const [lockId, tenant, namespace, holder, version] = fields(4);
          return coordination.locks.release(lockScopeFor(scope, tenant, namespace), lockId, holder === '' ? caller : holder, version).then(() => ok('ok'), failed);
        }
        case HostOp.BlobUpload: {
          const [blobId, contentType, data] = fields(2);
          return coordination.blobs
            .put(scope, blobId, data, contentType === '' ? undefined : contentType)
            .then((info) => ok(JSON.stringify({ blob_id: info.blobId, size: info.size, content_type: info.contentType, sha256: info.sha256 })), failed);
        }
        case HostOp.BlobDownload:
          return coordination.blobs.get(scope, text()).then((blob) => ({ status: 0, data: blob.data }), failed);
        // Channels may live on the cluster's Redis: their answers are promises.
        case HostOp.ChannelSend: {
          const [channel, timeout, message] = fields(2);
          return coordination.channels
            .send(scope, channel, JSON.parse(message), { timeoutMs: timeout === '' ? CHANNEL_SEND_WAIT_MS : Math.min(MAX_BLOCK_MS, Number(timeout)) })
            .then(() => ok('ok'), failed);
        }
        case HostOp.ChannelReceive: {
          const [channel, timeout] = fields(1);
          return coordination.channels
            .receive(scope, channel, { consumer: caller, timeoutMs: Math.min(MAX_BLOCK_MS, Number(timeout) || 0) })
            .then((d) => ok(d === null ? '' : JSON.stringify({ id: d.id, message: d.message, attempt: d.attempt })), failed);
        }
        case HostOp.ChannelAck: {
          const [channel, id] = fields(1);
          return coordination.channels.ack(scope, channel, Number(id)).then(() => ok('ok'), failed);
        }
        case HostOp.ChannelNack: {
          const [channel, id, requeue] = fields(2);
          return coordination.channels.nack(scope, channel, Number(id), { requeue: requeue !== '0' }).then(() => ok('ok'), failed);
        }
        default:
          return undefined;
      }
    } catch (error) {
      return failed(error);
    }
  };
}

function ok(text: string): Result {
  return { status: 0, data: text === '' ? EMPTY : utf8.encode(text) };
}

/**
 * Where the locks of a lock call live. The world's `lock-acquire` and
 * `lock-release` name a tenant and a namespace besides the lock:
 *
 * - tenant: `""` or the caller's own tenant; any other is refused
 *   (PLEX_ERR_FORBIDDEN), as every host call naming another tenant is.
 * - namespace: `""` or the caller's own namespace is the caller's scope,
 *   the locks the SDK's `host.lockAcquire` takes. Any other name is a lock
 *   namespace *inside* the caller's scope: a group of locks of that name
 *   that only actors of the caller's tenant and namespace reach. This is how
 *   the articles' `lock_acquire("", "leader-election", holder, "leader", 30,
 *   0)` reads: every candidate of one scope contends for the lock `leader`
 *   of the group `leader-election`, which is not the scope's plain lock
 *   `leader` and never another namespace's locks.
 *
 * A lock group's scope key is `tenant/namespace/group`: a namespace never
 * contains `/`, so it cannot be any real scope's key.
 */
function lockScopeFor(own: Scope, tenant: string, namespace: string): Scope {
  if (tenant !== '' && tenant !== own.tenant) throw new ForbiddenError(`an actor of ${own.tenant}/${own.namespace} cannot use locks of tenant ${tenant}`);
  if (namespace === '' || namespace === own.namespace) return own;
  checkScope({ tenant: own.tenant, namespace });
  return { tenant: own.tenant, namespace: `${own.namespace}/${namespace}` };
}
