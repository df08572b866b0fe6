import { InvalidArgumentError } from '../errors.js';

/**
 * Carves regions out of a shared `WebAssembly.Memory` by growing it, page
 * by page: kernels get addresses into one memory every worker sees, and the
 * runtime's per-actor slots (also taken by growing) never overlap them.
 */
export class SharedArena {
  readonly memory: WebAssembly.Memory;

  constructor(maximumPages = 65_536) {
    this.memory = new WebAssembly.Memory({ initial: 1, maximum: maximumPages, shared: true });
  }

  /** `bytes` of fresh zeroed memory, 64-byte aligned (whole pages); returns the byte address. */
  allocate(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError(`cannot allocate ${bytes} bytes`);
    const pages = Math.max(1, Math.ceil(bytes / 65_536));
    try {
      return this.memory.grow(pages) * 65_536;
    } catch (cause) {
      throw new InvalidArgumentError(`the shared memory cannot grow by ${pages} pages (${(bytes / 2 ** 20).toFixed(1)} MiB): ${(cause as Error).message}`);
    }
  }

  /** A Float32Array over `length` floats at `address` (views are cheap; take a new one after the memory grew). */
  float32(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }
}
