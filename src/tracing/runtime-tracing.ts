import { SpanKind, trace, type Context } from '@opentelemetry/api';
import { HostOp } from '../runtime/core-abi.js';
import type { HostCallHandler } from '../runtime/host-call-channel.js';
import { failSpan, type NodeTracing } from './node-tracing.js';

/**
 * The actor runtime's spans. An ask is one span from the moment it is sent
 * until its reply (the worker's queue and the handler inside it); while it
 * runs, its context is kept under the message's request id, which is the
 * `context` every host call the handler makes carries (host-call-channel.ts).
 * So a host call that arrives on the main thread from a worker finds the
 * span of the message its actor is handling, and an ask it makes to another
 * actor becomes a child of that span: the trace follows the message across
 * the thread boundary without the worker knowing about tracing.
 */
export class RuntimeTracing {
  /** The context of each traced ask still in flight, by request id. */
  private readonly messages = new Map<number, Context>();

  constructor(readonly tracing: NodeTracing) {}

  /**
   * Runs `send` (which sends the ask and resolves with its reply) under an
   * `actor.ask` span when it belongs to a traced request; the node's own
   * asks outside any request (timers, supervision) stay untraced, so they
   * start no trace of their own.
   */
  ask<T>(actorId: string, type: string, requestId: number, worker: number, send: () => Promise<T>): Promise<T> {
    const parent = this.tracing.active();
    if (trace.getSpan(parent)?.isRecording() !== true) return send();
    const span = this.tracing.start(`actor.ask ${type}`, SpanKind.INTERNAL, { 'plex.actor.id': actorId, 'plex.message.type': type, 'plex.request.id': requestId, 'plex.worker': worker }, parent);
    const context = this.tracing.contextOf(span, parent);
    this.messages.set(requestId, context);
    return this.tracing.within(context, send).then(
      (reply) => {
        this.messages.delete(requestId);
        span.end();
        return reply;
      },
      (error: unknown) => {
        this.messages.delete(requestId);
        failSpan(span, error);
        span.end();
        throw error;
      },
    );
  }

  /**
   * Serves a host call under a `host.<op>` span, a child of the message its
   * actor is handling (`context`, the request id; 0 for a tell, which starts
   * no trace). A call outside any traced message is served untraced.
   */
  hostCall(op: number, caller: string, context: number, serve: () => ReturnType<HostCallHandler>): ReturnType<HostCallHandler> {
    const parent = context === 0 ? undefined : this.messages.get(context);
    if (parent === undefined) return serve();
    const span = this.tracing.start(`host.${hostOpName(op)}`, SpanKind.INTERNAL, { 'plex.actor.id': caller, 'plex.host.op': op }, parent);
    let result: ReturnType<HostCallHandler>;
    try {
      result = this.tracing.within(this.tracing.contextOf(span, parent), serve);
    } catch (error) {
      failSpan(span, error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      endHostSpan(span, result);
      return result;
    }
    return result.then(
      (answer) => {
        endHostSpan(span, answer);
        return answer;
      },
      (error: unknown) => {
        failSpan(span, error);
        span.end();
        throw error;
      },
    );
  }
}

/** A host call answers failures as a negative status with `ERROR <code>: <message>` (host-services.ts `failed`). */
function endHostSpan(span: ReturnType<NodeTracing['start']>, answer: { status: number; data?: Uint8Array }): void {
  if (answer.status < 0 && answer.data !== undefined) {
    const text = new TextDecoder().decode(answer.data.subarray(0, 512));
    const code = /^ERROR (PLEX_ERR_[A-Z_]+)/.exec(text)?.[1];
    failSpan(span, { code, message: text });
  }
  span.end();
}

const OP_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(HostOp).map(([name, code]) => [code as number, dotted(name)]));

/** `TsTakeWait` → `ts.take_wait`, `KvGet` → `kv.get`, `Ask` → `ask`. */
function dotted(name: string): string {
  const words = name.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
  return words.length === 1 ? words[0] : `${words[0]}.${words.slice(1).join('_')}`;
}

/** The span name of a host operation (`ts.take`, `kv.put`, `lock.acquire`, …); unknown codes by number. */
export function hostOpName(op: number): string {
  return OP_NAMES.get(op) ?? `op_${op}`;
}
