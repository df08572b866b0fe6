import { InvalidArgumentError } from '../../errors.js';
import { optionalDuration } from '../../space/options.js';
import type { SpaceTransaction } from '../../space/transaction.js';
import { bulkLimit } from '../../space/operation-options.js';
import { decodeTuple, encodeTuple } from '../../tuple/codec.js';
import type { TupleLimits } from '../../tuple/limits.js';
import { compileTemplate, type CompiledTemplate } from '../../tuple/template.js';
import type { Template, Tuple } from '../../tuple/types.js';
import { acceptTuple } from '../../tuple/validate-tuple.js';
import { matchRecord } from './match-record.js';
import { templateProgram } from './template-program.js';

/**
 * Thrown inside the callback when the view cannot answer a call yet. The
 * caller of the callback (redis-atomically.ts) fetches what was asked for
 * and runs the callback again. A frozen object, not an Error: it is thrown
 * often and never shown.
 */
export const NEEDS_DATA: object = Object.freeze({ reason: 'the transaction needs data from Redis and will run again' });

/**
 * One question the callback asked of the stored tuples: the oldest `limit`
 * matches of a template (Infinity: all), or how many match. `answer` is
 * what Redis said in the latest snapshot; `wanted` is a larger limit asked
 * for since.
 */
export interface ViewQuery {
  readonly kind: 'match' | 'count';
  readonly program: Buffer;
  limit: number;
  wanted: number;
  answered: boolean;
  seqs: string[];
  /** Tuple bytes, as Redis keeps them; decoded afresh for each hand-out (frozen, bytes copied). */
  records: Buffer[];
  /** The same, decoded once, for testing templates locally. */
  tuples: Tuple[];
  count: number;
}

/**
 * What a transaction knows of the stored tuples: the answers to every query
 * its runs asked, all from one snapshot (one script call answers them all
 * together). Between runs it only grows: a new query, or a larger limit.
 */
export class TransactionView {
  private readonly queries = new Map<string, ViewQuery>();
  private needs = false;

  get hasNeeds(): boolean {
    return this.needs;
  }

  get(kind: ViewQuery['kind'], program: Buffer): ViewQuery | undefined {
    return this.queries.get(kind + program.toString('latin1'));
  }

  /** Records that the next snapshot must answer this query with at least `limit` matches. */
  need(kind: ViewQuery['kind'], program: Buffer, limit: number): void {
    const key = kind + program.toString('latin1');
    let query = this.queries.get(key);
    if (query === undefined) {
      query = { kind, program, limit: 0, wanted: 0, answered: false, seqs: [], records: [], tuples: [], count: 0 };
      this.queries.set(key, query);
    }
    query.wanted = Math.max(query.wanted, limit);
    this.needs = true;
  }

  /** The queries the next snapshot answers, in the order of its answers; limits grow to what was asked. */
  toFetch(): ViewQuery[] {
    const list = [...this.queries.values()];
    for (const query of list) query.limit = Math.max(query.limit, query.wanted);
    return list;
  }

  /** Keeps only `used` (what the final run depended on): those are what a commit validates. */
  keepOnly(used: ReadonlySet<ViewQuery>): ViewQuery[] {
    for (const [key, query] of this.queries) if (!used.has(query)) this.queries.delete(key);
    return [...this.queries.values()];
  }

  /** Takes in one snapshot's answers to `queries` (the list toFetch or keepOnly gave). */
  absorb(queries: readonly ViewQuery[], answers: readonly unknown[]): void {
    queries.forEach((query, i) => {
      query.answered = true;
      query.wanted = query.limit;
      const answer = answers[i];
      if (query.kind === 'count') {
        query.count = Number(answer);
        return;
      }
      const flat = answer as Buffer[];
      query.seqs = [];
      query.records = [];
      for (let j = 0; j < flat.length; j += 2) {
        query.seqs.push(flat[j].toString('latin1'));
        query.records.push(flat[j + 1]);
      }
      query.tuples = query.records.map((bytes) => decodeTuple(bytes).tuple);
    });
    this.needs = false;
  }
}

/** A tuple the transaction wrote: visible to its own later calls, sent with the commit unless it took it back. */
interface LocalWrite {
  readonly tuple: Tuple;
  readonly bytes: Uint8Array;
  readonly record: Buffer;
  readonly ttl: string;
  taken: boolean;
}

/**
 * One run of the callback against the view, with the in-process
 * transaction's semantics (src/space/transaction.ts): stored matches first,
 * oldest first, then the run's own writes; a take hides the tuple from the
 * rest of the run. It records the queries it depended on (`used`), the seqs
 * it took and the tuples it wrote; a run is thrown away (a call needed data,
 * a conflict) simply by making a new one.
 */
export class TransactionRun implements SpaceTransaction {
  readonly used = new Set<ViewQuery>();
  readonly takenSeqs: string[] = [];
  private readonly taken = new Set<string>();
  private readonly takenTuples: Tuple[] = [];
  private readonly written: LocalWrite[] = [];
  private open = true;

  constructor(
    private readonly view: TransactionView,
    private readonly limits: TupleLimits,
  ) {}

  tryRead(template: Template): Tuple | null {
    const compiled = this.usable(template);
    const [stored] = this.storedMatches(template, 1);
    if (stored !== undefined) return decodeTuple(stored.query.records[stored.index]).tuple;
    const local = this.localMatch(compiled);
    return local === undefined ? null : decodeTuple(local.bytes).tuple;
  }

  tryTake(template: Template): Tuple | null {
    const compiled = this.usable(template);
    const [stored] = this.storedMatches(template, 1);
    if (stored !== undefined) {
      const seq = stored.query.seqs[stored.index];
      this.taken.add(seq);
      this.takenSeqs.push(seq);
      this.takenTuples.push(stored.query.tuples[stored.index]);
      return decodeTuple(stored.query.records[stored.index]).tuple;
    }
    const local = this.localMatch(compiled);
    if (local === undefined) return null;
    local.taken = true;
    return decodeTuple(local.bytes).tuple;
  }

  write(tuple: Tuple, options: { ttlMs?: number } = {}): void {
    this.checkOpen();
    const ttl = optionalDuration('ttlMs', options?.ttlMs);
    const { tuple: accepted } = acceptTuple(tuple, this.limits);
    this.written.push({ tuple: accepted, bytes: encodeTuple(accepted), record: matchRecord(accepted, ttl !== undefined), ttl: ttl === undefined ? '' : String(ttl), taken: false });
  }

  count(template: Template): number {
    const compiled = this.usable(template);
    const program = templateProgram(template as readonly unknown[]).bytes;
    const query = this.view.get('count', program);
    if (query === undefined || !query.answered) return this.needMore('count', program, 0);
    this.used.add(query);
    // The snapshot counted the tuples this run took (they were stored then): they no longer count.
    const takenHere = this.takenTuples.filter((t) => compiled.matches(t)).length;
    return query.count - takenHere + this.written.filter((w) => !w.taken && compiled.matches(w.tuple)).length;
  }

  readAll(template: Template, options: { limit?: number } = {}): Tuple[] {
    const compiled = this.usable(template);
    const limit = bulkLimit(options);
    const out = this.storedMatches(template, limit).map((m) => decodeTuple(m.query.records[m.index]).tuple);
    for (const w of this.written) {
      if (out.length >= limit) break;
      if (!w.taken && compiled.matches(w.tuple)) out.push(decodeTuple(w.bytes).tuple);
    }
    return out;
  }

  /** Nothing to commit: the result stands on the snapshot alone. */
  get isReadOnly(): boolean {
    return this.takenSeqs.length === 0 && this.written.length === 0;
  }

  /** The commit's writes: match record and ttl ('' for none) of each tuple written and not taken back. */
  writesToCommit(): (Buffer | string)[] {
    const args: (Buffer | string)[] = [];
    for (const w of this.written) if (!w.taken) args.push(w.record, w.ttl);
    return args;
  }

  close(): void {
    this.open = false;
  }

  /**
   * Up to `wanted` stored matches this run has not taken, oldest first; or,
   * when the view may hold too few (it has none yet, or every one it holds
   * and the limit it fetched with are used up), asks for more and throws.
   */
  private storedMatches(template: Template, wanted: number): { query: ViewQuery; index: number }[] {
    const program = templateProgram(template as readonly unknown[]).bytes;
    const query = this.view.get('match', program);
    if (query === undefined || !query.answered) return this.needMore('match', program, wanted);
    this.used.add(query);
    const out: { query: ViewQuery; index: number }[] = [];
    for (let i = 0; i < query.seqs.length && out.length < wanted; i++) {
      if (!this.taken.has(query.seqs[i])) out.push({ query, index: i });
    }
    const complete = query.seqs.length < query.limit;
    if (out.length >= wanted || complete) return out;
    // Doubling bounds the runs of a loop of takes by log2 of its length.
    const skipped = query.seqs.length - out.length;
    return this.needMore('match', program, Number.isFinite(wanted) ? Math.max(query.limit * 2, skipped + wanted) : Infinity);
  }

  private needMore(kind: ViewQuery['kind'], program: Buffer, limit: number): never {
    this.view.need(kind, program, limit);
    throw NEEDS_DATA;
  }

  private localMatch(compiled: CompiledTemplate): LocalWrite | undefined {
    return this.written.find((w) => !w.taken && compiled.matches(w.tuple));
  }

  private usable(template: Template): CompiledTemplate {
    this.checkOpen();
    return compileTemplate(template, this.limits);
  }

  private checkOpen(): void {
    if (!this.open) throw new InvalidArgumentError('this transaction has finished: use tx only inside the atomically() callback');
  }
}
