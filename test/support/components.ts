import { componentize } from '@bytecodealliance/componentize-js';
import { join } from 'node:path';

const WIT = join(import.meta.dirname, '../../wit/simple-actor.wit');

/**
 * Builds a component from a JS file in test/fixtures/components (≈10 s each):
 * for the simple-actor world unless another WIT file and world are given.
 */
export async function buildComponent(file: string, world?: { wit: string; name: string }): Promise<Uint8Array> {
  const { component } = await componentize({
    sourcePath: join(import.meta.dirname, '../fixtures/components', file),
    witPath: world ? join(import.meta.dirname, '../fixtures/components', world.wit) : WIT,
    worldName: world?.name ?? 'actor-world',
    disableFeatures: ['http', 'fetch-event'],
  });
  return component;
}
