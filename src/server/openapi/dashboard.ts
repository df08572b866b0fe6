/** The dashboard: its page and files (open), and the JSON routes its pages read (docs/dashboard.md). */
import { errors, jsonReply, object, pathParam, ref, type Doc } from './common.js';

const OPEN: Doc = { security: [] };
const tags = ['dashboard'];
const nullable = (schema: Doc): Doc => ({ oneOf: [{ type: 'null' }, schema] });
const int = { type: 'integer', minimum: 0 };
const scoped = 'With auth on: a tenant’s token sees its own tenant’s rows (in the namespaces it holds), an operator’s every tenant’s.';

const surfaceLoad = object({ ops: int, p50Ms: { type: ['number', 'null'] }, p99Ms: { type: ['number', 'null'] } }, ['ops', 'p50Ms', 'p99Ms']);

export const dashboardSchemas: Record<string, Doc> = {
  RunningJob: object(
    {
      id: { type: 'string' },
      tenant: { type: 'string' },
      namespace: { type: 'string' },
      kind: { type: 'string' },
      params: { type: 'object' },
      startedAt: { type: 'string', format: 'date-time' },
      step: int,
      steps: { type: ['integer', 'null'] },
      energy: { type: ['number', 'null'] },
    },
    ['id', 'tenant', 'namespace', 'kind', 'params', 'startedAt', 'step', 'steps', 'energy'],
  ),
  LoadSample: object(
    {
      at: { type: 'integer', description: 'Start of the second, epoch ms' },
      surfaces: { type: 'object', additionalProperties: surfaceLoad, description: 'Per surface (http, ws, grpc): operations that ended in the second and their p50 / p99 latency, ms (null when none ended)' },
      cpuPercent: { type: 'number', minimum: 0, description: 'CPU the process used over the second, percent of one core' },
      rssBytes: int,
    },
    ['at', 'surfaces', 'cpuPercent', 'rssBytes'],
  ),
  DashboardOverview: object(
    {
      at: { type: 'string', format: 'date-time' },
      scope: { enum: ['node', 'tenant'] },
      node: object(
        {
          id: { type: 'string' },
          version: { type: 'string' },
          startedAt: { type: 'string', format: 'date-time' },
          uptimeSeconds: int,
          workers: { type: 'integer', minimum: 1 },
          durable: { type: 'boolean' },
          actors: { ...int, description: 'Running actors (the tenant’s own, for a tenant’s token)' },
          process: nullable(object({ cpuPercent: { type: ['number', 'null'] }, rssBytes: int, heapUsedBytes: int, workerQueues: { type: 'array', items: object({ worker: int, actors: int, queued: int, inFlight: int }, ['worker', 'actors', 'queued', 'inFlight']) } }, ['cpuPercent', 'rssBytes', 'heapUsedBytes', 'workerQueues'])),
        },
        ['id', 'version', 'startedAt', 'uptimeSeconds', 'workers', 'durable', 'actors', 'process'],
      ),
      cluster: nullable(object({ backend: { type: 'string' }, stale: { type: ['string', 'null'] } }, ['backend', 'stale'])),
      nodes: {
        type: 'array',
        items: object(
          {
            id: { type: 'string' },
            version: { type: 'string' },
            workers: int,
            startedAt: { type: 'string' },
            uptimeSeconds: int,
            http: { type: ['string', 'null'] },
            self: { type: 'boolean' },
            figures: { ...nullable(object({ actors: int, cpuPercent: { type: ['number', 'null'] }, rssBytes: int }, ['actors', 'cpuPercent', 'rssBytes'])), description: 'Operators only: the node’s actors, CPU and memory, read from that node with the caller’s token (null for a tenant, with peers=false, or when it did not answer in time)' },
          },
          ['id', 'version', 'workers', 'startedAt', 'uptimeSeconds', 'http', 'self', 'figures'],
        ),
      },
      load: nullable({ type: 'array', items: ref('LoadSample'), description: 'The last five minutes, one sample per second, oldest first (operators only: null for a tenant)' }),
    },
    ['at', 'scope', 'node', 'cluster', 'nodes', 'load'],
  ),
  DashboardActor: object(
    {
      tenant: { type: 'string' },
      namespace: { type: 'string' },
      id: { type: 'string' },
      application: { type: ['string', 'null'] },
      module: { type: 'string' },
      worker: int,
      node: { type: 'string' },
      state: { const: 'running' },
      workerQueue: { ...int, description: 'Messages queued for its worker thread (the runtime keeps no queue per actor)' },
      messages: { type: 'integer', description: 'Messages handled since it started, counted by its worker (every actor, with or without facets)' },
      memoryBytes: { type: 'integer', description: 'Bytes of its linear memory now (a shared memory counts whole, once per actor on it)' },
      restarts: int,
      crashes: int,
    },
    ['tenant', 'namespace', 'id', 'application', 'module', 'worker', 'node', 'state', 'workerQueue', 'messages', 'memoryBytes', 'restarts', 'crashes'],
  ),
  DashboardSpace: object(
    {
      tenant: { type: 'string' },
      namespace: { type: 'string' },
      space: { type: 'string' },
      stats: nullable(object({ tuples: int, waiters: int, watchers: int, inflight: int, leased: int, timers: int }, ['tuples', 'waiters'])),
      activity: object(
        { writes: int, takes: int, writesPerSecond: { type: 'number' }, takesPerSecond: { type: 'number' }, shapes: { type: 'array', items: object({ shape: { type: 'string' }, count: int }, ['shape', 'count']) } },
        ['writes', 'takes', 'writesPerSecond', 'takesPerSecond', 'shapes'],
      ),
    },
    ['tenant', 'namespace', 'space', 'stats', 'activity'],
  ),
};

const get = (operationId: string, summary: string, reply: Doc, description?: string, extra: Doc = {}): Doc => ({
  get: { tags, operationId, summary, ...(description === undefined ? {} : { description }), ...extra, responses: { 200: jsonReply(summary, reply), ...errors(401) } },
});

export const dashboardPaths: Record<string, Doc> = {
  '/dashboard': {
    get: { tags, operationId: 'dashboard', summary: 'The dashboard, a single page (its figures come from /api/v1/dashboard/…)', ...OPEN, responses: { 200: { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } } } },
  },
  '/dashboard/{file}': {
    get: {
      tags,
      operationId: 'dashboardFile',
      summary: 'A file of the dashboard (its scripts, styles, uPlot and msgpackr from their installed packages)',
      ...OPEN,
      parameters: [{ name: 'file', in: 'path', required: true, schema: { enum: ['app.js', 'pages.js', 'live.js', 'actor-pages.js', 'space-pages.js', 'coordination-pages.js', 'pipeline-pages.js', 'dashboard.css', 'uplot.js', 'uplot.css', 'msgpackr.js'] } }],
      responses: { 200: { description: 'The file', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } }, ...errors(404) },
    },
  },
  '/api/v1/dashboard/session': {
    get: { tags, operationId: 'dashboardSession', summary: 'Whether the page must ask for a token', ...OPEN, responses: { 200: jsonReply('Auth on or off', object({ authRequired: { type: 'boolean' } }, ['authRequired'])), ...errors() } },
  },
  '/api/v1/dashboard/overview': get('dashboardOverview', 'The node, its cluster’s members and (operators) its load history', ref('DashboardOverview'), 'CPU, memory and the load per surface are node-wide figures: an operator’s only (`process` and `load` are null for a tenant).', {
    parameters: [
      { name: 'history', in: 'query', required: false, description: '`false`: only the newest load sample', schema: { enum: ['true', 'false'] } },
      { name: 'peers', in: 'query', required: false, description: '`false`: do not read the other nodes’ figures (what a node asks of another)', schema: { enum: ['true', 'false'] } },
    ],
  }),
  '/api/v1/dashboard/actors': get('dashboardActors', 'The actors running on this node', object({ actors: { type: 'array', items: ref('DashboardActor') } }, ['actors']), scoped),
  '/api/v1/dashboard/actors/{tenant}/{namespace}/{actor}': {
    get: {
      tags,
      operationId: 'dashboardActor',
      summary: 'One actor: its row, state (get-state), recent crashes and facets',
      parameters: [pathParam('tenant'), pathParam('namespace'), { name: 'actor', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        200: jsonReply(
          'The actor',
          object(
            {
              actor: ref('DashboardActor'),
              state: { oneOf: [{ type: 'null' }, object({ text: { type: ['string', 'null'] }, bytes: int }, ['text', 'bytes']), object({ error: { type: 'string' } }, ['error'])], description: 'null: its module cannot snapshot; text null: binary state' },
              crashes: { type: 'array', items: object({ at: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } }, ['at', 'code', 'message']) },
              facets: object({ intercepted: { type: 'boolean' }, metrics: nullable(object({ messages: int, failures: int, totalMs: { type: 'number' }, maxMs: { type: 'number' } }, ['messages'])) }, ['intercepted', 'metrics']),
            },
            ['actor', 'state', 'crashes', 'facets'],
          ),
        ),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/v1/dashboard/applications': get(
    'dashboardApplications',
    'Deployed applications with their supervision trees',
    object({ applications: { type: 'array', items: object({ tenant: { type: 'string' }, applicationId: { type: 'string' }, kind: { enum: ['module', 'bundle'] }, modules: { type: 'array', items: { type: 'string' } }, supervision: nullable({ type: 'object' }) }, ['tenant', 'applicationId', 'kind', 'modules', 'supervision']) } }, ['applications']),
    scoped,
  ),
  '/api/v1/dashboard/spaces': get('dashboardSpaces', 'Open spaces with their sizes and recent remote activity', object({ spaces: { type: 'array', items: ref('DashboardSpace') } }, ['spaces']), scoped),
  '/api/v1/dashboard/shard-groups': get(
    'dashboardShardGroups',
    'Shard groups with each shard’s actor, worker and node',
    object({ groups: { type: 'array', items: object({ tenant: { type: 'string' }, namespace: { type: 'string' }, id: { type: 'string' }, partition: { type: 'string' }, rebalancing: { type: 'boolean' }, shards: { type: 'array', items: object({ shard: int, actor: { type: 'string' }, worker: { type: ['integer', 'null'] }, node: { type: ['string', 'null'] }, recent: nullable(object({ gathers: int, lastMs: { type: 'number' }, p50Ms: { type: 'number' }, maxMs: { type: 'number' }, lastStatus: { enum: ['ok', 'error', 'timeout'] } }, ['gathers', 'lastMs', 'p50Ms', 'maxMs', 'lastStatus'])) }, ['shard', 'actor', 'worker', 'node', 'recent']) } }, ['tenant', 'namespace', 'id', 'partition', 'rebalancing', 'shards']) } }, ['groups']),
    scoped,
  ),
  '/api/v1/dashboard/pipelines': get(
    'dashboardPipelines',
    'Dataflow pipelines with each stage’s live figures',
    object({ pipelines: { type: 'array', items: { allOf: [ref('PipelineFigures'), object({ tenant: { type: 'string' }, namespace: { type: 'string' } }, ['tenant', 'namespace'])] } } }, ['pipelines']),
    scoped,
  ),
  '/api/v1/dashboard/jobs': get('dashboardJobs', 'Jobs running on this node, with their progress', object({ jobs: { type: 'array', items: ref('RunningJob') } }, ['jobs']), scoped),
  '/api/v1/dashboard/jobs/{job}/cancel': {
    post: {
      tags,
      operationId: 'dashboardCancelJob',
      summary: 'Cancel a running job (it stops between two steps)',
      parameters: [{ name: 'job', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { 200: jsonReply('The job, as it was when cancelled', object({ cancelled: ref('RunningJob') }, ['cancelled'])), ...errors(400, 401, 403) },
    },
  },
  '/api/v1/dashboard/coordination/{tenant}/{namespace}': {
    get: {
      tags,
      operationId: 'dashboardCoordination',
      summary: 'A scope’s channels, process groups, key-value and blob usage, and one lock by name',
      parameters: [pathParam('tenant'), pathParam('namespace'), { name: 'lock', in: 'query', required: false, description: 'A lock to look up (the lock services keep no list of a scope’s locks)', schema: { type: 'string' } }],
      responses: {
        200: jsonReply(
          'The figures',
          object(
            {
              tenant: { type: 'string' },
              namespace: { type: 'string' },
              channels: { type: 'array', items: object({ name: { type: 'string' }, kind: { enum: ['queue', 'topic'] }, ready: { type: ['integer', 'null'] }, inFlight: { type: ['integer', 'null'] }, deadLetters: { type: ['integer', 'null'] } }, ['name', 'kind', 'ready', 'inFlight', 'deadLetters']) },
              groups: { type: 'array', items: object({ name: { type: 'string' }, members: { type: 'array', items: { type: 'string' } } }, ['name', 'members']) },
              kv: object({ keys: int, bytes: int, truncated: { type: 'boolean' } }, ['keys', 'bytes', 'truncated']),
              blobs: object({ count: int, bytes: int }, ['count', 'bytes']),
              lock: nullable(object({ name: { type: 'string' }, grant: nullable(object({ lockId: { type: 'string' }, holder: { type: 'string' }, version: { type: 'string' }, expiresAt: { type: 'number' } }, ['holder', 'version', 'expiresAt'])) }, ['name', 'grant'])),
            },
            ['tenant', 'namespace', 'channels', 'groups', 'kv', 'blobs', 'lock'],
          ),
        ),
        ...errors(400, 401, 403),
      },
    },
  },
  '/api/v1/dashboard/benchmarks': get(
    'dashboardBenchmarks',
    'The committed benchmark results (native-bench/results/*.json)',
    object({ suites: { type: 'array', items: object({ file: { type: 'string' }, suite: { type: 'string' }, date: { type: 'string' }, results: { type: 'array', items: object({ id: { type: 'string' }, value: { type: 'number' }, unit: { type: 'string' } }, ['id', 'value', 'unit']) } }, ['file', 'suite', 'date', 'results']) } }, ['suites']),
    'Empty for an installed package (it ships no results).',
  ),
};
