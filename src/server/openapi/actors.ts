/** Applications and actors: deploy an application, ask and tell an actor by id (the FaaS routes are in faas.ts). */
import { errors, jsonBody, jsonReply, object, ref, SCOPED, type Doc } from './common.js';

// 409: an actor of another application runs under the id, or the id fits several applications.
const ACTOR_FAILURES = [...SCOPED, 404, 409, 413, 415, 502, 503, 504] as const;

const message = object(
  {
    message_type: { type: 'string', minLength: 1, maxLength: 128, description: 'The handler to run' },
    payload: ref('JsonValue'),
    application_id: { type: 'string', description: 'Activate the actor from this application on first use (default: the app named like the actor)' },
    tenant: { type: 'string', description: 'Default: the token’s tenant (`default` with auth off)' },
    namespace: { type: 'string', description: 'Default `default`; a bundle’s actors run in the namespace it was deployed to' },
  },
  ['message_type'],
);

const actorParam: Doc = {
  name: 'actor',
  in: 'path',
  required: true,
  description: 'The actor id, or `kind:key` for a virtual actor (activated on demand)',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$' },
};

export const actorSchemas: Record<string, Doc> = {
  Placement: object(
    {
      labels: { type: 'object', additionalProperties: { type: 'string' }, description: 'Only nodes whose labels include all of these' },
      node: { type: 'string', description: 'Only the node with this id' },
      strategy: { enum: ['local', 'least-loaded'], description: '`local` (default): the node the first message reaches, when it qualifies; `least-loaded`: the qualifying node running the fewest actors' },
    },
    [],
  ),
  ApplicationInfo: object(
    {
      tenant: { type: 'string' },
      applicationId: { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
      kind: { enum: ['module', 'bundle'] },
      module: { type: 'string', description: 'The module’s name in the runtime (tenant-qualified); for a bundle, its first module' },
      modules: { type: 'array', items: { type: 'string' } },
      bytes: { type: 'integer', minimum: 0 },
      deployedAt: { type: 'string', format: 'date-time' },
      durable: { type: 'boolean', description: 'A module: its actors keep their state across crashes and restarts (journal + checkpoints). A bundle: its manifest’s `[application] durable` default' },
      placement: ref('Placement'),
      namespace: { type: 'string', description: 'Bundles: the namespace its actors run in' },
      actors: { type: 'array', items: { type: 'string' }, description: 'Bundles: the ids of the actors it started' },
      treeElsewhere: { type: 'boolean', description: 'A bundle installed from the cluster (deployed through another node): its modules and virtual kinds are here, its supervision tree runs on the node that deployed it' },
      treeNode: { type: 'string', description: 'The reply to a bundle deployed through a node of a cluster whose tree runs on another node: that node, which installs the new revision and restarts its tree there' },
    },
    ['tenant', 'applicationId', 'name', 'version', 'kind', 'module', 'modules', 'bytes', 'deployedAt', 'durable'],
  ),
  DeployForm: {
    type: 'object',
    description: 'One module (`name`, `version`, one `wasm_file`), or a bundle (`manifest` plus one `wasm_file` part per module, named as in the manifest)',
    properties: {
      application_id: ref('Name'),
      name: { type: 'string' },
      version: { type: 'string' },
      wasm_file: { type: 'string', contentMediaType: 'application/wasm', description: 'A core module or component (a bundle: one part per module, by file name)' },
      manifest: { type: 'string', description: 'app-config.toml, as a file or a text field (a bundle)' },
      tenant: { type: 'string', description: 'With auth on: the token’s own tenant' },
      namespace: { type: 'string', description: 'A bundle: the namespace its actors run in' },
      durable: { enum: ['true', 'false'], description: 'A module: `false` opts its actors out of durability (default: durable when the module can snapshot its state; `true` for one that cannot is a 400). A bundle says it in its manifest' },
      placement: { type: 'string', description: 'A module in a cluster: JSON of a Placement, e.g. `{"labels": {"gpu": "true"}, "strategy": "least-loaded"}` — which nodes its actors may run on (docs/cluster.md, "Placement"). Default: the node the first message reaches' },
    },
    required: ['application_id', 'wasm_file'],
  },
};

export const actorPaths: Record<string, Doc> = {
  '/api/v1/applications/deploy': {
    post: {
      tags: ['actors'],
      operationId: 'deploy',
      summary: 'Deploy an application: one module, or a bundle with a manifest',
      requestBody: { required: true, content: { 'multipart/form-data': { schema: ref('DeployForm'), encoding: { wasm_file: { contentType: 'application/wasm, application/octet-stream' } } } } },
      responses: { 201: jsonReply('Deployed', ref('ApplicationInfo')), ...errors(...SCOPED, 409, 413, 415) },
    },
  },
  '/api/v1/applications': {
    get: {
      tags: ['actors'],
      operationId: 'listApplications',
      summary: 'The applications deployed for a tenant',
      parameters: [{ name: 'tenant', in: 'query', required: false, description: 'Default: the token’s tenant (`default` with auth off)', schema: ref('Name') }],
      responses: { 200: jsonReply('The applications', object({ applications: { type: 'array', items: ref('ApplicationInfo') } }, ['applications'])), ...errors(...SCOPED) },
    },
  },
  '/api/v1/applications/{app}': {
    delete: {
      tags: ['actors'],
      operationId: 'undeploy',
      summary: 'Undeploy an application: a bundle’s tree stops; running actors of a module keep running until stopped, new ones cannot activate',
      parameters: [
        { name: 'app', in: 'path', required: true, description: 'The application id', schema: ref('Name') },
        { name: 'tenant', in: 'query', required: false, schema: ref('Name') },
      ],
      responses: { 200: jsonReply('Removed', object({ removed: { const: true } }, ['removed'])), ...errors(...SCOPED, 404) },
    },
  },
  '/api/v1/actors/{actor}/ask': {
    post: {
      tags: ['actors'],
      operationId: 'ask',
      summary: 'Ask an actor and wait for its reply',
      parameters: [actorParam],
      requestBody: jsonBody(message),
      responses: { 200: jsonReply('The actor’s reply (its JSON)', ref('JsonValue')), ...errors(...ACTOR_FAILURES) },
    },
  },
  '/api/v1/actors': {
    get: {
      tags: ['actors'],
      operationId: 'listActors',
      summary: 'The actors of a scope and the node each runs on',
      description: 'In a cluster: every actor of the scope that the cluster’s directory has, with its node (`live` false when that node is gone: a durable actor moves to a survivor on its next message), and the actors this node runs. A node alone: its own.',
      parameters: [
        { name: 'tenant', in: 'query', required: false, description: 'Default: the token’s tenant (`default` with auth off)', schema: ref('Name') },
        { name: 'namespace', in: 'query', required: false, description: 'Default: `default`', schema: ref('Name') },
      ],
      responses: {
        200: jsonReply(
          'The actors, by id',
          object({ actors: { type: 'array', items: object({ id: { type: 'string' }, node: { type: 'string', description: 'The id of the node that runs it' }, live: { type: 'boolean' } }, ['id', 'node', 'live']) } }, ['actors']),
        ),
        ...errors(...SCOPED, 503),
      },
    },
  },
  '/api/v1/actors/{actor}': {
    delete: {
      tags: ['actors'],
      operationId: 'stopActor',
      summary: 'Stop an actor, on whichever node of the cluster runs it',
      description: 'A normal exit: monitors get `down` with reason `normal`, linked actors live on. A durable actor keeps its journal and comes back with its state on its next message.',
      parameters: [
        actorParam,
        { name: 'tenant', in: 'query', required: false, description: 'Default: the token’s tenant (`default` with auth off)', schema: ref('Name') },
        { name: 'namespace', in: 'query', required: false, description: 'Default: `default`', schema: ref('Name') },
      ],
      responses: { 200: jsonReply('Stopped', object({ stopped: { const: true } }, ['stopped'])), ...errors(...SCOPED, 404, 503) },
    },
  },
  '/api/v1/actors/{actor}/tell': {
    post: {
      tags: ['actors'],
      operationId: 'tell',
      summary: 'Send an actor a message without waiting',
      parameters: [actorParam],
      requestBody: jsonBody(message),
      responses: { 202: jsonReply('Queued', ref('Accepted')), ...errors(...SCOPED, 404, 409, 413, 415, 503) },
    },
  },
};
