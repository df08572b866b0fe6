import { InvalidArgumentError, ModuleNotFoundError, shown } from '../errors.js';
import type { FaasRouteContext } from './faas-routes.js';
import { optionalBooleanField } from './form-fields.js';
import type { NodeService } from './node-service.js';

/**
 * The application routes of the articles and of the node: deploy a module
 * or a bundle (multipart), list a tenant's applications, undeploy one.
 */
/** The optional `placement` field: JSON like {"labels": {"gpu": "true"}, "strategy": "least-loaded"} (checked by the registry). */
function placementField(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidArgumentError(`placement must be JSON, like {"labels": {"gpu": "true"}}: ${(error as Error).message}`);
  }
}

export function defineApplicationRoutes(context: FaasRouteContext, s: NodeService): void {
  const { route, multipart } = context;
  route('POST', '/api/v1/applications/deploy', async (request, _, __, principal) => {
    const form = await multipart(request);
    const field = (name: string) => {
      const value = form.get(name);
      if (typeof value !== 'string') throw new InvalidArgumentError(`${name} is required`);
      return value;
    };
    const optional = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
    const tenant = form.get('tenant');
    const manifest = form.get('manifest');
    const durable = optionalBooleanField(form, 'durable');
    const placement = placementField(optional('placement'));
    if (manifest !== null) {
      if (placement !== undefined) throw new InvalidArgumentError('placement applies to module applications (their actors are activated by id on a node placement picks); a bundle starts its supervision tree on the node it is deployed to');
      if (durable !== undefined) throw new InvalidArgumentError('a bundle says whether its actors are durable in its manifest ([application] durable, or durable per actor), not in a durable field');
      // A bundle: the manifest (file or text) and every module as a `wasm_file` part named by its file name.
      const text = typeof manifest === 'string' ? manifest : await manifest.text();
      const files = new Map<string, Uint8Array>();
      for (const part of form.getAll('wasm_file')) {
        if (!(part instanceof File)) throw new InvalidArgumentError('every wasm_file of a bundle must be a file part with a file name');
        if (files.has(part.name)) throw new InvalidArgumentError(`the bundle has two files named ${shown(part.name)}`);
        files.set(part.name, new Uint8Array(await part.arrayBuffer()));
      }
      const scope = s.scope(principal, optional('tenant'), optional('namespace'));
      const info = await s.deployBundle(scope, field('application_id'), text, files, { name: optional('name'), version: optional('version') });
      return { status: 201, body: info };
    }
    const wasm = form.get('wasm_file');
    if (!(wasm instanceof Blob)) throw new InvalidArgumentError('wasm_file must be a file field');
    // An optional `tenant` field; with auth on it must be the token's own.
    const info = await s.deploy(s.scope(principal, typeof tenant === 'string' && tenant !== '' ? tenant : undefined, undefined), field('application_id'), field('name'), field('version'), new Uint8Array(await wasm.arrayBuffer()), { durable, placement });
    return { status: 201, body: info };
  });
  route('GET', '/api/v1/applications', async (_, __, url, principal) => ({ body: { applications: s.listApplications(s.scope(principal, url.searchParams.get('tenant') || undefined, undefined)) } }));
  route('DELETE', '/api/v1/applications/{}', async (_, [applicationId], url, principal) => {
    const scope = s.scope(principal, url.searchParams.get('tenant') || undefined, undefined);
    if (!(await s.undeploy(scope, applicationId))) throw new ModuleNotFoundError(`${scope.tenant}/${applicationId}`);
    return { body: { removed: true } };
  });
}
