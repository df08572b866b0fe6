import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, loadNodeConfig } from '../../src/node/node-config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plex-config-'));
  dirs.push(dir);
  const path = join(dir, 'node.toml');
  writeFileSync(path, text);
  return path;
}

describe('node config', () => {
  it('defaults, then the TOML file, then the environment, then flags', () => {
    expect(loadNodeConfig({}, {})).toEqual(DEFAULTS);
    const path = file(`
data_dir = "/var/lib/plex"
http_port = 9001
grpc_port = 9000
workers = 3
log_level = "warn"
[limits]
max_json_bytes = 2048
[auth]
algorithm = "HS256"
secret_env = "MY_SECRET"
issuer = "me"
`);
    const fromFile = loadNodeConfig({ config: path }, { MY_SECRET: 'x'.repeat(40) });
    expect(fromFile).toMatchObject({ dataDir: '/var/lib/plex', httpPort: 9001, grpcPort: 9000, workers: 3, logLevel: 'warn', maxJsonBytes: 2048, auth: { enabled: true, algorithm: 'HS256', secret: 'x'.repeat(40), issuer: 'me' } });
    const withEnv = loadNodeConfig({ config: path }, { MY_SECRET: 'x'.repeat(40), PLEXSPACES_HTTP_PORT: '7001', PLEXSPACES_DATA_DIR: '/tmp/env' });
    expect(withEnv).toMatchObject({ httpPort: 7001, dataDir: '/tmp/env', grpcPort: 9000 });
    const withFlags = loadNodeConfig({ config: path, httpPort: '0', memory: true }, { MY_SECRET: 'x'.repeat(40), PLEXSPACES_HTTP_PORT: '7001' });
    expect(withFlags).toMatchObject({ httpPort: 0, dataDir: null });
    expect(loadNodeConfig({}, { PLEXSPACES_CONFIG: path, MY_SECRET: 'y'.repeat(40) }).auth.secret).toBe('y'.repeat(40));
    expect(loadNodeConfig({}, { PLEXSPACES_JWT_SECRET: 'z'.repeat(40) }).auth).toEqual({ enabled: true, algorithm: 'HS256', secret: 'z'.repeat(40) });
  });

  it('refuses typos, bad values and unreadable files with a message that says where', () => {
    expect(() => loadNodeConfig({ config: file('htp_port = 1') }, {})).toThrow(/unknown key htp_port/);
    expect(() => loadNodeConfig({ config: file('[auth]\nsecrt = "x"') }, {})).toThrow(/\[auth\]: unknown key secrt/);
    expect(() => loadNodeConfig({ config: file('http_port = "x"') }, {})).toThrow(/http_port must be an integer/);
    expect(() => loadNodeConfig({ config: file('http_port = = 1') }, {})).toThrow(/not valid TOML/);
    expect(() => loadNodeConfig({ config: file('[auth]\nsecret_env = "UNSET_VAR"') }, {})).toThrow(/UNSET_VAR, which is not set/);
    expect(() => loadNodeConfig({ config: '/no/such/file.toml' }, {})).toThrow(/cannot read the config file/);
    expect(() => loadNodeConfig({}, { PLEXSPACES_GRPC_PORT: '70000' })).toThrow(/PLEXSPACES_GRPC_PORT must be an integer in 0..65535/);
    expect(() => loadNodeConfig({ workers: '0' }, {})).toThrow(/--workers/);
    for (const bad of ['htp_port = 1', 'http_port = "x"']) {
      try {
        loadNodeConfig({ config: file(bad) }, {});
      } catch (error) {
        expect((error as { code: string }).code).toBe('PLEX_ERR_USAGE');
      }
    }
  });
});

describe('the cluster secret', () => {
  it('comes from [cluster] secret or PLEXSPACES_CLUSTER_SECRET, and needs a cluster and 16 characters', () => {
    const clustered = file('[cluster]\nredis = "redis://127.0.0.1:6379"\nsecret = "sixteen chars ok"\n');
    expect(loadNodeConfig({ config: clustered }, {}).cluster).toMatchObject({ redis: ['redis://127.0.0.1:6379'], secret: 'sixteen chars ok' });
    expect(loadNodeConfig({ cluster: ['redis://127.0.0.1:6379'] }, { PLEXSPACES_CLUSTER_SECRET: 'from the environment' }).cluster?.secret).toBe('from the environment');
    // The flag's URL keeps the file's secret.
    expect(loadNodeConfig({ config: clustered, cluster: ['redis://127.0.0.1:6380'] }, {}).cluster).toMatchObject({ redis: ['redis://127.0.0.1:6380'], secret: 'sixteen chars ok' });
    expect(loadNodeConfig({ cluster: ['redis://127.0.0.1:6379'] }, {}).cluster?.secret).toBeUndefined();
    expect(() => loadNodeConfig({ config: file('[cluster]\nredis = "redis://127.0.0.1:6379"\nsecret = "short"\n') }, {})).toThrow(/cluster.secret must be a string of at least 16 characters/);
    expect(() => loadNodeConfig({ config: file('[cluster]\nsecret = "sixteen chars ok"\n') }, {})).toThrow(/cluster.secret needs cluster.redis/);
    expect(() => loadNodeConfig({}, { PLEXSPACES_CLUSTER_SECRET: 'sixteen chars ok' })).toThrow(/PLEXSPACES_CLUSTER_SECRET needs a cluster/);
  });
});
