/**
 * Worker for `bench runtime`: makes host calls through the same
 * SharedArrayBuffer channel the actors use and times each one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HostCallClient } from '../runtime/host-call-channel.js';

const { channel, op, request, count } = workerData as { channel: SharedArrayBuffer; op: number; request: Uint8Array; count: number };
const client = new HostCallClient(channel);
const samples = new Float64Array(count);
let failures = 0;
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  const status = client.call(op, request);
  samples[i] = performance.now() - t0;
  if (status <= 0) failures++;
}
parentPort!.postMessage({ samples, failures });
