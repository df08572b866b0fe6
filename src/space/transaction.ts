import { InvalidArgumentError } from '../errors.js';
import type { CompiledTemplate } from '../tuple/template.js';
import type { Template, Tuple } from '../tuple/types.js';
import { exportTuple, type NewTuple, type SpaceCore } from './space-core.js';
import type { StoredEntry } from './tuple-index.js';
// A cycle (tuple-space.ts imports Transaction), harmless: bulkLimit is only called, never read at load.
import { bulkLimit } from './tuple-space.js';

/** The view of a space inside `space.atomically(tx => …)`. Every method is synchronous. */
export interface SpaceTransaction {
  tryRead(template: Template): Tuple | null;
  tryTake(template: Template): Tuple | null;
  write(tuple: Tuple, options?: { ttlMs?: number }): void;
  count(template: Template): number;
  readAll(template: Template, options?: { limit?: number }): Tuple[];
}

export interface TransactionTools {
  compile(template: unknown): CompiledTemplate;
  accept(tuple: unknown, ttlMs: number | undefined): NewTuple;
}

/**
 * A transaction applies nothing until it commits. Tuples it takes are only
 * hidden (`entry.hidden`) so that neither it nor anyone else sees them;
 * tuples it writes wait in a local list, visible to its own later reads.
 * Commit removes the hidden tuples and writes the local ones through the
 * normal write path (waking waiters); rollback un-hides and discards. The
 * callback is synchronous, so no other operation can interleave.
 */
export class Transaction implements SpaceTransaction {
  private readonly taken: StoredEntry[] = [];
  private readonly written: { item: NewTuple; taken: boolean }[] = [];
  private open = true;

  constructor(
    private readonly core: SpaceCore,
    private readonly tools: TransactionTools,
  ) {}

  tryRead(template: Template): Tuple | null {
    const compiled = this.usable(template);
    const entry = this.core.findLive(compiled);
    if (entry !== undefined) return exportTuple(entry);
    const local = this.written.find((w) => !w.taken && compiled.matches(w.item.tuple));
    return local === undefined ? null : exportTuple(local.item);
  }

  tryTake(template: Template): Tuple | null {
    const compiled = this.usable(template);
    const entry = this.core.findLive(compiled);
    if (entry !== undefined) {
      entry.hidden = true;
      this.taken.push(entry);
      return exportTuple(entry);
    }
    const local = this.written.find((w) => !w.taken && compiled.matches(w.item.tuple));
    if (local === undefined) return null;
    local.taken = true;
    return exportTuple(local.item);
  }

  write(tuple: Tuple, options: { ttlMs?: number } = {}): void {
    if (!this.open) throw new InvalidArgumentError('this transaction has finished: use tx only inside the atomically() callback');
    this.written.push({ item: this.tools.accept(tuple, options.ttlMs), taken: false });
  }

  count(template: Template): number {
    const compiled = this.usable(template);
    return this.core.count(compiled, true) + this.written.filter((w) => !w.taken && compiled.matches(w.item.tuple)).length;
  }

  readAll(template: Template, options: { limit?: number } = {}): Tuple[] {
    const compiled = this.usable(template);
    const limit = bulkLimit(options);
    const out = this.core.collectLive(compiled, limit).map(exportTuple);
    for (const w of this.written) {
      if (out.length >= limit) break;
      if (!w.taken && compiled.matches(w.item.tuple)) out.push(exportTuple(w.item));
    }
    return out;
  }

  /** What committing would add to the space: tuples written and not taken back, minus stored ones taken. */
  delta(): { tuples: number; bytes: number } {
    let tuples = -this.taken.length;
    let bytes = 0;
    for (const entry of this.taken) bytes -= entry.size ?? 0;
    for (const w of this.written) {
      if (w.taken) continue;
      tuples++;
      bytes += w.item.size ?? 0;
    }
    return { tuples, bytes };
  }

  commit(): void {
    this.open = false;
    for (const entry of this.taken) {
      entry.hidden = false;
      this.core.take(entry);
    }
    for (const w of this.written) if (!w.taken) this.core.put(w.item);
  }

  rollback(): void {
    this.open = false;
    for (const entry of this.taken) entry.hidden = false;
  }

  private usable(template: Template): CompiledTemplate {
    if (!this.open) throw new InvalidArgumentError('this transaction has finished: use tx only inside the atomically() callback');
    return this.tools.compile(template);
  }
}
