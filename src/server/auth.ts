import { createSecretKey, type KeyObject } from 'node:crypto';
import { importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { ForbiddenError, InvalidArgumentError, UnauthenticatedError, shown } from '../errors.js';
import type { Scope } from './node-service.js';

/**
 * Auth settings. With auth off every request may name any tenant (a node on
 * loopback for one user); with it on, every request carries a JWT whose
 * `tenant` claim (and optional `namespaces` list) bounds what it may reach.
 * No claim widens that: the operator role (node-wide figures, every tenant)
 * is granted by this config, to the token subjects listed in `operators`.
 */
export interface AuthOptions {
  readonly enabled: boolean;
  /** HS256 with `secret`, or RS256 with `publicKey` (PEM, SPKI). */
  readonly algorithm?: 'HS256' | 'RS256';
  readonly secret?: string;
  readonly publicKey?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /**
   * Token subjects (`sub` claims) that hold the operator role: they may act
   * in every tenant and read node-wide figures (/metrics, /api/v1/info).
   * Default none. Only the node's config grants it; a token cannot claim it.
   */
  readonly operators?: readonly string[];
}

const TENANT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Who a verified token speaks for. */
export interface Principal {
  /** The tenant it acts in by default (and, unless it is an operator, the only one it may reach). */
  readonly tenant: string;
  /** Namespaces it may use; `*` for all of its tenant's. */
  readonly namespaces: readonly string[] | '*';
  readonly subject?: string;
  /** Granted by the node's config (`auth.operators`): every tenant, and node-wide figures. */
  readonly operator: boolean;
}

/** The principal when auth is off: anyone, anywhere (a node on loopback for one user is its own operator). */
export const OPEN: Principal & { readonly open: true } = { tenant: 'default', namespaces: '*', operator: true, open: true };

export class Gatekeeper {
  private key: Promise<KeyObject | CryptoKey> | undefined;

  constructor(readonly options: AuthOptions = { enabled: false }) {
    if (!options.enabled) return;
    const algorithm = options.algorithm ?? 'HS256';
    if (algorithm === 'HS256') {
      if (!options.secret || options.secret.length < 32) throw new InvalidArgumentError('auth HS256 needs a secret of at least 32 characters');
      this.key = Promise.resolve(createSecretKey(Buffer.from(options.secret, 'utf8')));
    } else if (algorithm === 'RS256') {
      if (!options.publicKey) throw new InvalidArgumentError('auth RS256 needs a publicKey (PEM)');
      this.key = importSPKI(options.publicKey, 'RS256');
    } else {
      throw new InvalidArgumentError(`auth algorithm must be HS256 or RS256, got ${String(algorithm)}`);
    }
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Verifies `authorization` ("Bearer <jwt>" or the bare token); with auth off, everyone is OPEN. */
  async principal(authorization: string | undefined): Promise<Principal> {
    if (!this.options.enabled) return OPEN;
    if (authorization === undefined || authorization === '') throw new UnauthenticatedError('this node requires a bearer token (JWT)');
    const token = authorization.replace(/^Bearer\s+/i, '');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.key!, {
        algorithms: [this.options.algorithm ?? 'HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
      }));
    } catch (error) {
      throw new UnauthenticatedError(`invalid token: ${(error as Error).message}`);
    }
    const operator = typeof payload.sub === 'string' && (this.options.operators ?? []).includes(payload.sub);
    let tenant = payload.tenant;
    if (tenant === undefined && operator) tenant = 'default';
    if (typeof tenant !== 'string' || tenant === '') throw new UnauthenticatedError('the token has no tenant claim');
    // There is no wildcard tenant: reaching every tenant is the operator role, which only the node's config grants.
    if (!TENANT.test(tenant)) throw new UnauthenticatedError(`the tenant claim must be a tenant name (1–64 of A–Z a–z 0–9 _ . -), got ${shown(tenant)}; every-tenant access is the operator role, granted in the node's config (auth.operators)`);
    const namespaces = payload.namespaces;
    if (namespaces !== undefined && (!Array.isArray(namespaces) || !namespaces.every((n) => typeof n === 'string'))) {
      throw new UnauthenticatedError('the namespaces claim must be a list of names');
    }
    return { tenant, namespaces: namespaces === undefined ? '*' : (namespaces as string[]), subject: payload.sub, operator };
  }

  /** Throws PLEX_ERR_FORBIDDEN unless `principal` may act in `scope`. */
  authorize(principal: Principal, scope: Scope): void {
    if (principal.operator) return;
    if (scope.tenant !== principal.tenant) throw new ForbiddenError(`this token is for tenant ${shown(principal.tenant)}, not ${shown(scope.tenant)}`);
    if (principal.namespaces !== '*' && !principal.namespaces.includes(scope.namespace)) {
      throw new ForbiddenError(`this token does not grant namespace ${shown(scope.namespace)} of tenant ${shown(scope.tenant)}`);
    }
  }

  /** The tenant of routes that do not name one: the token's (`default` with auth off). */
  tenantOf(principal: Principal): string {
    return principal.tenant;
  }
}
