import { parentPort } from 'node:worker_threads';
import { PlexError } from '../errors.js';
import { prepareComponentOnThisThread } from './component-module.js';
import { prepareCoreModuleOnThisThread } from './core-module.js';
import type { PreparationRequest, PreparationReply } from './module-preparation.js';

// The thread that validates, instruments and compiles deployed modules
// (module-preparation.ts): the work is seconds of CPU for a large component,
// and on the main thread it would stall the node's heartbeats and requests.

parentPort!.on('message', (request: PreparationRequest) => {
  const prepare = request.kind === 'component' ? prepareComponentOnThisThread : prepareCoreModuleOnThisThread;
  prepare(request.name, request.bytes, request.options).then(
    (module) => parentPort!.postMessage({ id: request.id, module } satisfies PreparationReply),
    (error: unknown) =>
      parentPort!.postMessage({
        id: request.id,
        error: { code: error instanceof PlexError ? error.code : undefined, message: (error as Error)?.message ?? String(error) },
      } satisfies PreparationReply),
  );
});
