/**
 * The OpenAPI 3.1 description of the HTTP gateway, assembled from one file
 * per area. test/server/openapi.test.ts keeps it honest: its paths must be
 * exactly the gateway's routes, and real replies must validate against it.
 */
import { NODE_VERSION } from '../node-service.js';
import { actorPaths, actorSchemas } from './actors.js';
import { dashboardPaths, dashboardSchemas } from './dashboard.js';
import { commonSchemas, errorResponses, parameters, type Doc } from './common.js';
import { faasPaths, faasSchemas } from './faas.js';
import { nodePaths, nodeSchemas } from './node.js';
import { shardGroupPaths, shardGroupSchemas } from './shard-groups.js';
import { storagePaths, storageSchemas } from './storage.js';
import { tupleSpacePaths, tupleSpaceSchemas } from './tuple-space.js';
import { pipelinePaths, pipelineSchemas } from './pipelines.js';

let cached: string | undefined;

/** The document as JSON text (built once: it is the same for the node's whole life). */
export function openApiJson(): string {
  cached ??= JSON.stringify(openApiDocument());
  return cached;
}

export function openApiDocument(): Doc {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'PlexSpaces node',
      version: NODE_VERSION,
      description:
        'The HTTP gateway of a PlexSpaces node: tuple spaces, actors (deploy, ask, tell, FaaS), key-value and blob stores, and shard groups. JSON in, JSON out; every error is `{"error": {"code": "PLEX_ERR_…", "message": …}}` with a fitting status. Tuples use the JSON form: int64 as `{"$int": "…"}`, bytes as `{"$bytes": "<base64>"}`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the document describes whichever node serves it.
    servers: [{ url: '/' }],
    // A token is checked only when the node runs with auth on; with auth off every route is open.
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'node', description: 'Health, info, metrics and these docs' },
      { name: 'actors', description: 'Applications and actors' },
      { name: 'FaaS', description: 'Actors by tenant, namespace and actor type' },
      { name: 'tuple spaces', description: 'Linda operations on a named space' },
      { name: 'key-value', description: 'The scope’s key-value store' },
      { name: 'blobs', description: 'The scope’s blob store' },
      { name: 'shard groups', description: 'Partitioned actor groups: bulk update, scatter-gather, reduce, barrier, scale' },
      { name: 'dashboard', description: 'The dashboard page and the figures its pages read' },
    ],
    paths: { ...nodePaths, ...actorPaths, ...faasPaths, ...tupleSpacePaths, ...pipelinePaths, ...storagePaths, ...shardGroupPaths, ...dashboardPaths },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT with a `tenant` claim, or an operator subject’s (docs/node.md#tenants-and-auth); required when the node runs with auth on' },
      },
      parameters,
      responses: errorResponses,
      schemas: { ...commonSchemas, ...nodeSchemas, ...actorSchemas, ...faasSchemas, ...tupleSpaceSchemas, ...pipelineSchemas, ...storageSchemas, ...shardGroupSchemas, ...dashboardSchemas },
    },
  };
}
