import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as an OTLP/HTTP JSON export carries it, with ids in hex and attributes flattened. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP's SpanKind number: 1 internal, 2 server, 3 client. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly resource: Readonly<Record<string, unknown>>;
}

/**
 * A real OTLP/HTTP traces receiver on loopback, for tests: it accepts the
 * JSON encoding the OpenTelemetry JS exporter posts to `/v1/traces` and
 * keeps every span. `waitFor` resolves as soon as the received spans pass a
 * check (each export wakes it), so a test never sleeps.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Export requests received (POSTs to /v1/traces). */
  posts = 0;
  private readonly server: Server;
  private readonly wakeups = new Set<() => void>();

  private constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method !== 'POST' || request.url !== '/v1/traces' || !/json/.test(request.headers['content-type'] ?? '')) {
          response.writeHead(415).end();
          return;
        }
        this.posts++;
        this.spans.push(...decode(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        for (const wake of [...this.wakeups]) wake();
      });
    });
  }

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  /** Resolves with the spans once `done(spans)` holds; rejects after `timeoutMs` saying what arrived. */
  waitFor(done: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs = 20_000): Promise<readonly ReceivedSpan[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.spans)) return;
        clearTimeout(timer);
        this.wakeups.delete(check);
        resolve(this.spans);
      };
      const timer = setTimeout(() => {
        this.wakeups.delete(check);
        reject(new Error(`the spans did not arrive within ${timeoutMs} ms; got: ${this.spans.map((s) => s.name).join(', ') || 'none'}`));
      }, timeoutMs);
      this.wakeups.add(check);
      check();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}

function decode(body: {
  resourceSpans?: { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[];
}): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        out.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name as string,
          kind: span.kind as number,
          attributes: attributesOf(span.attributes as OtlpKeyValue[] | undefined),
          statusCode: ((span.status as { code?: number } | undefined)?.code ?? 0) as number,
          resource,
        });
      }
    }
  }
  return out;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue));
  return out;
}

/** OTLP JSON ids are hex; a base64 id (the protobuf-JSON mapping) is turned into hex too. */
function hex(id: unknown): string {
  if (typeof id !== 'string' || id === '') return '';
  return /^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}
