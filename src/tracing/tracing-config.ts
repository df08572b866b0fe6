import { UsageError, shown } from '../errors.js';

/** `[tracing]` of a node's settings, as loaded (docs/node.md); null in NodeConfig: tracing off. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL spans are posted to. */
  readonly otlpEndpoint: string;
  /** `service.name` of the node's spans. Default `plexspaces`. */
  readonly serviceName: string;
  /** How long finished spans wait to be exported together. Default 5000 ms. */
  readonly exportDelayMs: number;
  /** Share of new traces recorded, 0–1. Default 1. */
  readonly sampleRatio: number;
}

export const TRACING_KEYS = ['otlp_endpoint', 'service_name', 'export_delay_ms', 'sample_ratio'];
export const DEFAULT_SERVICE_NAME = 'plexspaces';
export const DEFAULT_EXPORT_DELAY_MS = 5000;
export const DEFAULT_SAMPLE_RATIO = 1;

/** An http(s) URL, as OTLP/HTTP takes; anything else names `where`. */
export function otlpEndpoint(where: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : value;
  let url: URL | undefined;
  try {
    url = typeof text === 'string' ? new URL(text) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new UsageError(`${where} must be an http:// or https:// URL (an OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces), got ${shown(value)}`);
  return text as string;
}

/** The `[tracing]` table of `path`; without `otlp_endpoint` (and no env) the other keys are refused, since they would do nothing. */
export function tracingFromConfig(path: string, table: Record<string, unknown>): TracingConfig | null {
  const extra = Object.keys(table).filter((k) => !TRACING_KEYS.includes(k));
  if (extra.length > 0) throw new UsageError(`${path} [tracing]: unknown key${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (known: ${TRACING_KEYS.join(', ')})`);
  const serviceName = table.service_name ?? DEFAULT_SERVICE_NAME;
  if (typeof serviceName !== 'string' || serviceName === '' || serviceName.length > 256) throw new UsageError(`${path}: tracing.service_name must be a string of 1–256 characters, got ${shown(table.service_name)}`);
  const delay = table.export_delay_ms ?? DEFAULT_EXPORT_DELAY_MS;
  if (typeof delay !== 'number' || !Number.isSafeInteger(delay) || delay < 1 || delay > 600_000) throw new UsageError(`${path}: tracing.export_delay_ms must be an integer in 1..600000, got ${shown(table.export_delay_ms)}`);
  const ratio = table.sample_ratio ?? DEFAULT_SAMPLE_RATIO;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new UsageError(`${path}: tracing.sample_ratio must be a number in 0..1, got ${shown(table.sample_ratio)}`);
  if (table.otlp_endpoint === undefined) {
    if (Object.keys(table).length > 0) return { otlpEndpoint: '', serviceName, exportDelayMs: delay, sampleRatio: ratio };
    return null;
  }
  return { otlpEndpoint: otlpEndpoint(`${path}: tracing.otlp_endpoint`, table.otlp_endpoint), serviceName, exportDelayMs: delay, sampleRatio: ratio };
}
