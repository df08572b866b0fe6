/**
 * The TypeScript actor SDK (`plexspaces/sdk`): the actor base class and
 * typed host functions (actor.ts) and the OTP-style behaviours
 * (behaviours.ts). See actor.ts for how an SDK actor is written and built.
 */
export * from './actor.js';
export * from './behaviours.js';
