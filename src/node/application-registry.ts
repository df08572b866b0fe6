import { InvalidArgumentError, ModuleNotFoundError } from '../errors.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';

/** A deployed application: one WebAssembly module (core or component) under a tenant. */
export interface ApplicationInfo {
  readonly tenant: string;
  readonly applicationId: string;
  readonly name: string;
  readonly version: string;
  /** The module's name in the actor runtime (tenant-qualified). */
  readonly module: string;
  readonly bytes: number;
  readonly deployedAt: string;
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export function checkId(what: string, value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) throw new InvalidArgumentError(`${what} must be 1–64 of A–Z a–z 0–9 _ . - (not starting with . or -), got ${JSON.stringify(value)}`);
  return value;
}

/**
 * Applications per tenant. Deploying validates and compiles the module in
 * the runtime (a bad module changes nothing); redeploying an id replaces
 * the module for actors spawned afterwards.
 */
export class ApplicationRegistry {
  private readonly apps = new Map<string, ApplicationInfo>();

  constructor(private readonly runtime: ActorRuntime) {}

  async deploy(tenant: string, applicationId: string, name: string, version: string, wasm: Uint8Array): Promise<ApplicationInfo> {
    checkId('tenant', tenant);
    checkId('application_id', applicationId);
    checkId('name', name);
    if (typeof version !== 'string' || version.length === 0 || version.length > 64) throw new InvalidArgumentError(`version must be 1–64 characters, got ${JSON.stringify(version)}`);
    const module = `${tenant}:${applicationId}`;
    await this.runtime.deploy(module, wasm);
    const info: ApplicationInfo = { tenant, applicationId, name, version, module, bytes: wasm.byteLength, deployedAt: new Date().toISOString() };
    this.apps.set(module, info);
    return info;
  }

  /** By application id, or else by name (`actor_type` on the FaaS routes). */
  find(tenant: string, idOrName: string): ApplicationInfo | undefined {
    const byId = this.apps.get(`${tenant}:${idOrName}`);
    if (byId !== undefined) return byId;
    for (const app of this.apps.values()) if (app.tenant === tenant && app.name === idOrName) return app;
    return undefined;
  }

  get(tenant: string, idOrName: string): ApplicationInfo {
    const app = this.find(tenant, idOrName);
    if (app === undefined) throw new ModuleNotFoundError(`${tenant}/${idOrName}`);
    return app;
  }

  list(tenant: string): ApplicationInfo[] {
    return [...this.apps.values()].filter((app) => app.tenant === tenant);
  }

  undeploy(tenant: string, applicationId: string): boolean {
    return this.apps.delete(`${tenant}:${applicationId}`);
  }
}
