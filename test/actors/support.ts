import { HostOp } from '../../src/runtime/core-abi.js';
import { ActorSystem, type ActorSystemOptions } from '../../src/actors/actor-system.js';
import { builtActor } from '../support/wasm-fixtures.js';

export const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** An actor system on 2 workers (unless told otherwise) with the probe actor deployed as `probe`. */
export async function systemWithProbe(options: ActorSystemOptions = {}): Promise<ActorSystem> {
  const system = new ActorSystem({ workers: 2, ...options });
  await system.runtime.deploy('probe', builtActor('probe'));
  return system;
}

/** Makes host call `op` from inside the probe actor `id` (src/wasm/actors/probe.ts). */
export async function probeCall(system: ActorSystem, id: string, op: number, request: string): Promise<string> {
  return text(await system.ask(id, 'call', `${op}\n${request}`));
}

/** The messages the probe recorded, as [type, payload] pairs. */
export async function probeLog(system: ActorSystem, id: string): Promise<[string, string][]> {
  const lines = text(await system.ask(id, 'log'));
  return lines === '' ? [] : lines.split('\n').map((l) => [l.slice(0, l.indexOf('|')), l.slice(l.indexOf('|') + 1)]);
}

/** Polls `check` until it returns true or `ms` pass. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export { HostOp };
