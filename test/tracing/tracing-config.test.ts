import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { loadNodeConfig } from '../../src/node/node-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plex-tracing-config-'));
  dirs.push(dir);
  const path = join(dir, 'node.toml');
  writeFileSync(path, text);
  return path;
}

function refusal(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('[tracing] settings', () => {
  it('are off by default, even with the SDK’s generic OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
    expect(loadNodeConfig({}, {}).tracing).toBeNull();
    expect(loadNodeConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).tracing).toBeNull();
  });

  it('turn on with otlp_endpoint, with the defaults of the other keys', () => {
    const path = file('[tracing]\notlp_endpoint = "http://127.0.0.1:4318/v1/traces"\n');
    expect(loadNodeConfig({ config: path }, {}).tracing).toEqual({ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'plexspaces', exportDelayMs: 5000, sampleRatio: 1 });
    const tuned = file('[tracing]\notlp_endpoint = "https://collector.example/v1/traces"\nservice_name = "edge"\nexport_delay_ms = 200\nsample_ratio = 0.25\n');
    expect(loadNodeConfig({ config: tuned }, {}).tracing).toEqual({ otlpEndpoint: 'https://collector.example/v1/traces', serviceName: 'edge', exportDelayMs: 200, sampleRatio: 0.25 });
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turns tracing on and overrides the file’s endpoint, keeping its other keys', () => {
    expect(loadNodeConfig({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces' }).tracing).toEqual({ otlpEndpoint: 'http://127.0.0.1:9/v1/traces', serviceName: 'plexspaces', exportDelayMs: 5000, sampleRatio: 1 });
    const path = file('[tracing]\notlp_endpoint = "http://127.0.0.1:4318/v1/traces"\nservice_name = "edge"\n');
    expect(loadNodeConfig({ config: path }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces' }).tracing).toMatchObject({ otlpEndpoint: 'http://127.0.0.1:9/v1/traces', serviceName: 'edge' });
    // A file with only service_name is enough when the environment gives the endpoint.
    const named = file('[tracing]\nservice_name = "edge"\n');
    expect(loadNodeConfig({ config: named }, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces' }).tracing).toMatchObject({ serviceName: 'edge' });
  });

  it('refuse unknown keys, bad values and keys that would do nothing, naming them', () => {
    expect(refusal(() => loadNodeConfig({ config: file('[tracing]\notlp_endpoint = "http://x/v1/traces"\nsampler = "always"\n') }, {})).message).toMatch(/\[tracing\]: unknown key sampler \(known: otlp_endpoint, service_name, export_delay_ms, sample_ratio\)/);
    expect(refusal(() => loadNodeConfig({ config: file('[tracing]\notlp_endpoint = "grpc://x:4317"\n') }, {})).message).toMatch(/tracing\.otlp_endpoint must be an http:\/\/ or https:\/\/ URL/);
    expect(refusal(() => loadNodeConfig({ config: file('[tracing]\notlp_endpoint = "http://x/v1/traces"\nexport_delay_ms = 0\n') }, {})).message).toMatch(/tracing\.export_delay_ms must be an integer in 1\.\.600000, got 0/);
    expect(refusal(() => loadNodeConfig({ config: file('[tracing]\notlp_endpoint = "http://x/v1/traces"\nsample_ratio = 2\n') }, {})).message).toMatch(/tracing\.sample_ratio must be a number in 0\.\.1, got 2/);
    expect(refusal(() => loadNodeConfig({ config: file('[tracing]\nservice_name = "edge"\n') }, {})).message).toMatch(/\[tracing\] needs otlp_endpoint \(or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT\)/);
    expect(refusal(() => loadNodeConfig({ config: file('tracing = "on"\n') }, {})).message).toMatch(/tracing must be a table/);
    expect(refusal(() => loadNodeConfig({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).message).toMatch(/^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
  });
});
