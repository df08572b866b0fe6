import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';

/** `[tracing]` in a node's settings (docs/node.md, docs/tracing.md). */
export interface TracingOptions {
  /** Where spans go: an OTLP/HTTP traces URL, e.g. `http://127.0.0.1:4318/v1/traces` (the JSON encoding). */
  readonly otlpEndpoint: string;
  /** `service.name` of every span. Default `plexspaces`. */
  readonly serviceName?: string;
  /** How long finished spans wait to be sent in one batch. Default 5000 ms (the SDK's). */
  readonly exportDelayMs?: number;
  /**
   * Share of new traces recorded (0–1): requests with no sampled caller are
   * kept with this probability, a caller's sampled flag is followed as is.
   * Default 1 (every request).
   */
  readonly sampleRatio?: number;
  /** This node's id, as the resource's `service.instance.id`. */
  readonly nodeId?: string;
}

/**
 * Where a request's W3C trace-context fields are: HTTP headers as they
 * are, a websocket frame, a view of gRPC metadata. Anything but a string
 * (a repeated header, a number) counts as absent.
 */
export interface TraceCarrier {
  readonly traceparent?: unknown;
  readonly tracestate?: unknown;
}

const propagator = new W3CTraceContextPropagator();
const carrierGetter = {
  get: (carrier: TraceCarrier, key: string) => {
    const value = key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined;
    return typeof value === 'string' ? value : undefined;
  },
  keys: () => ['traceparent', 'tracestate'],
};

/**
 * A node's tracer. One exists only when tracing is configured: every hook in
 * the surfaces and the runtime checks for it first, so a node without it
 * creates no span and looks up no context.
 *
 * The current span travels in an AsyncLocalStorage of this instance (not
 * the OpenTelemetry global context manager), so two nodes in one process
 * keep their traces apart and nothing global changes when tracing is on.
 * Work that leaves the async flow (a host call answered on the main thread
 * for a worker) is re-entered with `within` from the context the runtime
 * kept for the message (actor-runtime.ts).
 */
export class NodeTracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly current = new AsyncLocalStorage<Context>();

  constructor(options: TracingOptions) {
    const ratio = options.sampleRatio ?? 1;
    this.provider = new TracerProvider({
      sampler: new ParentBasedSampler({ root: ratio >= 1 ? new AlwaysOnSampler() : new TraceIdRatioBasedSampler(ratio) }),
      resource: resourceFromAttributes({
        'service.name': options.serviceName ?? 'plexspaces',
        ...(options.nodeId === undefined ? {} : { 'service.instance.id': options.nodeId }),
      }),
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: options.otlpEndpoint }), scheduledDelayMillis: options.exportDelayMs ?? 5000 })],
    });
    this.tracer = this.provider.getTracer('plexspaces');
  }

  /** The context of the code running now (the root context outside any traced request). */
  active(): Context {
    return this.current.getStore() ?? ROOT_CONTEXT;
  }

  /** Runs `run` with `context` as the current one. */
  within<T>(context: Context, run: () => T): T {
    return this.current.run(context, run);
  }

  /**
   * Serves one remote request under a SERVER span named `<surface> <operation>`,
   * a child of the caller's span when `carrier` holds a valid `traceparent`;
   * a missing or malformed one starts a new trace (the W3C rule: never an error).
   */
  serve<T>(surface: string, operation: string, carrier: TraceCarrier | undefined, run: () => Promise<T>): Promise<T> {
    const parent = typeof carrier?.traceparent !== 'string' ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, carrier, carrierGetter);
    const span = this.tracer.startSpan(`${surface} ${operation}`, { kind: SpanKind.SERVER, attributes: { 'rpc.system': surface, 'plex.operation': operation } }, parent);
    // A request the sampler left out records nothing below it either: it runs as with tracing off.
    if (!span.isRecording()) return run();
    return this.finish(span, this.current.run(trace.setSpan(parent, span), run));
  }

  /** Starts a span under the current context (or `parent`); the caller ends it, usually through `finish`. */
  start(name: string, kind: SpanKind, attributes: Attributes, parent: Context = this.active()): Span {
    return this.tracer.startSpan(name, { kind, attributes }, parent);
  }

  /** Runs `run` under a new child span of the current context. */
  span<T>(name: string, kind: SpanKind, attributes: Attributes, run: () => Promise<T>): Promise<T> {
    const parent = this.active();
    const span = this.tracer.startSpan(name, { kind, attributes }, parent);
    return this.finish(span, this.current.run(trace.setSpan(parent, span), run));
  }

  /** The context whose current span is `span`, for work started later under it. */
  contextOf(span: Span, parent: Context = this.active()): Context {
    return trace.setSpan(parent, span);
  }

  /** Ends `span` when `result` settles; a rejection marks it failed with the error's `PLEX_ERR_*` code. */
  finish<T>(span: Span, result: Promise<T>): Promise<T> {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        failSpan(span, error);
        span.end();
        throw error;
      },
    );
  }

  /** Sends the spans not yet exported. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Exports what is left and stops the exporter. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** Marks a span failed: ERROR status, the error's message and its `PLEX_ERR_*` code. */
export function failSpan(span: Span, error: unknown): void {
  const e = error as { code?: unknown; message?: unknown };
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof e?.message === 'string' ? e.message : String(error) });
  if (typeof e?.code === 'string') span.setAttribute('plex.error.code', e.code);
}
