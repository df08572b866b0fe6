import { InvalidModuleError } from '../errors.js';

/**
 * A single-pass rewriter of WebAssembly binaries for the watchdog and the
 * memory cap (see instrument.ts for what it inserts and why).
 *
 * It decodes every instruction of every function body — it has to, to find
 * the `loop`s and to shift function indices — and re-encodes only what
 * changes: one function import is appended (so every defined function's
 * index grows by one: `call`, `return_call`, `ref.func`, exports, the start
 * function and element segments are shifted), two globals and one helper
 * function are appended (no other index moves), memory and table maxima are clamped,
 * and the `name` section, which would be stale, is dropped. It knows the
 * MVP, sign-extension, saturating conversions, bulk memory, reference types,
 * multi-value, tail calls, SIMD, threads and legacy exceptions; anything
 * else is rejected with the opcode and offset.
 */

export interface RewriteOptions {
  readonly watchdog: boolean;
  readonly maxMemoryPages: number;
  /** Largest table the module may define, in elements; each table's maximum is clamped to it. */
  readonly maxTableElements: number;
  readonly fuelPerTick: number;
  readonly tick: { readonly module: string; readonly name: string };
  readonly oomExport: string;
}

export interface RewriteResult {
  readonly bytes: Uint8Array;
  readonly definedMemory?: { initial: number; maximum: number; shared: boolean };
  readonly importedMemory?: { initial: number; maximum: number | undefined; shared: boolean };
  /** The clamped maxima of the tables the module defines, summed (what its tables can grow to). */
  readonly tableElements: number;
}

const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12, tag: 13 } as const;

/** Where each known section must stand (the ids are not in file order: tag and data count are later additions). */
const ORDER = [SECTION.type, SECTION.import, SECTION.function, SECTION.table, SECTION.memory, SECTION.tag, SECTION.global, SECTION.export, SECTION.start, SECTION.element, SECTION.dataCount, SECTION.code, SECTION.data];
const rank = (id: number): number => {
  const r = ORDER.indexOf(id as (typeof ORDER)[number]);
  return r < 0 ? ORDER.length : r;
};

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw new InvalidModuleError('unexpected end of the module');
    return this.bytes[this.pos++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }

  /** Skips a signed LEB128 of any width. */
  skipLeb(): void {
    while (this.byte() & 0x80) {
      /* continue */
    }
  }

  slice(length: number): Uint8Array {
    const out = this.bytes.subarray(this.pos, this.pos + length);
    if (out.length !== length) throw new InvalidModuleError('unexpected end of the module');
    this.pos += length;
    return out;
  }
}

class Writer {
  private chunks: number[] = [];
  private parts: Uint8Array[] = [];

  byte(b: number): this {
    this.chunks.push(b);
    return this;
  }

  u32(value: number): this {
    do {
      let b = value % 128;
      value = Math.floor(value / 128);
      if (value !== 0) b |= 0x80;
      this.chunks.push(b);
    } while (value !== 0);
    return this;
  }

  s32(value: number): this {
    for (;;) {
      const b = value & 0x7f;
      value >>= 7;
      if ((value === 0 && (b & 0x40) === 0) || (value === -1 && (b & 0x40) !== 0)) {
        this.chunks.push(b);
        return this;
      }
      this.chunks.push(b | 0x80);
    }
  }

  bytes(data: Uint8Array): this {
    this.flushChunks();
    this.parts.push(data);
    return this;
  }

  name(text: string): this {
    const data = new TextEncoder().encode(text);
    return this.u32(data.length).bytes(data);
  }

  finish(): Uint8Array {
    this.flushChunks();
    let length = 0;
    for (const p of this.parts) length += p.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private flushChunks(): void {
    if (this.chunks.length > 0) {
      this.parts.push(Uint8Array.from(this.chunks));
      this.chunks = [];
    }
  }
}

interface Indices {
  /** Function imports before ours: indices below stay, the rest shift by one. */
  importedFunctions: number;
  tick: number;
  grow: number;
  fuel: number;
  oom: number;
  watchdog: boolean;
}

const shiftFunction = (index: number, ix: Indices): number => (index < ix.importedFunctions ? index : index + 1);

export function rewriteModule(input: Uint8Array, options: RewriteOptions): RewriteResult {
  const r = new Reader(input);
  const header = r.slice(8);
  const sections: { id: number; body: Uint8Array }[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    sections.push({ id, body: r.slice(size) });
  }
  const find = (id: number) => sections.find((s) => s.id === id);

  // Counts needed before rewriting anything.
  const typeCount = find(SECTION.type) ? new Reader(find(SECTION.type)!.body).u32() : 0;
  const imports = parseImports(find(SECTION.import)?.body);
  const definedFunctions = find(SECTION.function) ? new Reader(find(SECTION.function)!.body).u32() : 0;
  const definedGlobals = find(SECTION.global) ? new Reader(find(SECTION.global)!.body).u32() : 0;
  // Modules without a memory (jco's adapter shims) get no grow helper and no oom global.
  const hasMemory = imports.memories > 0 || (find(SECTION.memory) ? new Reader(find(SECTION.memory)!.body).u32() : 0) > 0;
  const ix: Indices = {
    importedFunctions: imports.functions,
    tick: imports.functions,
    grow: hasMemory ? imports.functions + 1 + definedFunctions : -1,
    fuel: imports.globals + definedGlobals,
    oom: hasMemory ? imports.globals + definedGlobals + 1 : -1,
    watchdog: options.watchdog,
  };
  const added = { functions: hasMemory ? 1 : 0, globals: hasMemory ? 2 : 1, exports: hasMemory ? 1 : 0 };
  const tickType = typeCount;
  const growType = typeCount + 1;

  let definedMemory: RewriteResult['definedMemory'];
  let tableElements = 0;
  const out = new Writer().bytes(header);
  const emit = (id: number, body: Uint8Array) => out.byte(id).u32(body.length).bytes(body);
  const present = new Set(sections.map((s) => s.id));
  const emitMissingBefore = (id: number) => {
    // Sections we add must appear in order; create the ones the module lacks.
    const before = (section: number) => rank(section) < rank(id) && !present.has(section);
    if (before(SECTION.type)) {
      present.add(SECTION.type);
      emit(SECTION.type, new Writer().u32(2).bytes(funcType([], [0x7f])).bytes(funcType([0x7f], [0x7f])).finish());
    }
    if (before(SECTION.import)) {
      present.add(SECTION.import);
      emit(SECTION.import, new Writer().u32(1).name(options.tick.module).name(options.tick.name).byte(0).u32(tickType).finish());
    }
    if (before(SECTION.function) && added.functions > 0) {
      present.add(SECTION.function);
      emit(SECTION.function, new Writer().u32(1).u32(growType).finish());
    }
    if (before(SECTION.global)) {
      present.add(SECTION.global);
      emit(SECTION.global, appendGlobals(new Writer().u32(added.globals), options, hasMemory).finish());
    }
    if (before(SECTION.export) && added.exports > 0) {
      present.add(SECTION.export);
      emit(SECTION.export, new Writer().u32(1).name(options.oomExport).byte(3).u32(ix.oom).finish());
    }
    if (before(SECTION.code) && added.functions > 0) {
      present.add(SECTION.code);
      emit(SECTION.code, new Writer().u32(1).bytes(growBody(ix)).finish());
    }
  };

  for (const { id, body } of sections) {
    if (id === SECTION.custom) {
      if (readName(body) === 'name') continue; // function names would be stale after the shift
      emit(id, body);
      continue;
    }
    emitMissingBefore(id);
    switch (id) {
      case SECTION.type: {
        const rd = new Reader(body);
        const count = rd.u32();
        emit(id, new Writer().u32(count + 2).bytes(body.subarray(rd.pos)).bytes(funcType([], [0x7f])).bytes(funcType([0x7f], [0x7f])).finish());
        break;
      }
      case SECTION.import: {
        const rd = new Reader(body);
        const count = rd.u32();
        emit(id, new Writer().u32(count + 1).bytes(body.subarray(rd.pos)).name(options.tick.module).name(options.tick.name).byte(0).u32(tickType).finish());
        break;
      }
      case SECTION.function: {
        const rd = new Reader(body);
        const count = rd.u32();
        const w = new Writer().u32(count + added.functions).bytes(body.subarray(rd.pos));
        if (added.functions > 0) w.u32(growType);
        emit(id, w.finish());
        break;
      }
      case SECTION.table: {
        // A table is host memory the linear-memory cap does not see (V8 spends ~26 bytes per
        // element): its maximum is clamped like memory's, so table.grow past it returns -1.
        const rd = new Reader(body);
        const count = rd.u32();
        const w = new Writer().u32(count);
        for (let i = 0; i < count; i++) {
          const reftype = rd.byte();
          if (reftype === 0x40) throw new InvalidModuleError('tables with an initializer expression are not supported');
          const flags = rd.byte();
          if (flags & 0x04) throw new InvalidModuleError('64-bit tables are not supported');
          const initial = rd.u32();
          const declared = flags & 0x01 ? rd.u32() : undefined;
          const maximum = Math.min(declared ?? options.maxTableElements, options.maxTableElements);
          if (initial > maximum) {
            throw new InvalidModuleError(`the module declares a table of ${initial} elements at start; the limit is ${options.maxTableElements}`);
          }
          tableElements += maximum;
          w.byte(reftype).byte(flags | 0x01).u32(initial).u32(maximum);
        }
        emit(id, w.finish());
        break;
      }
      case SECTION.memory: {
        const rd = new Reader(body);
        const count = rd.u32();
        const w = new Writer().u32(count);
        for (let i = 0; i < count; i++) {
          const flags = rd.byte();
          if (flags & 0x04) throw new InvalidModuleError('64-bit memories are not supported');
          const initial = rd.u32();
          const declared = flags & 0x01 ? rd.u32() : undefined;
          const maximum = Math.min(declared ?? options.maxMemoryPages, options.maxMemoryPages);
          if (initial > maximum) {
            throw new InvalidModuleError(`the module needs ${initial} memory pages at start; the limit is ${options.maxMemoryPages}`);
          }
          definedMemory ??= { initial, maximum, shared: (flags & 0x02) !== 0 };
          w.byte(flags | 0x01).u32(initial).u32(maximum);
        }
        emit(id, w.finish());
        break;
      }
      case SECTION.global: {
        const rd = new Reader(body);
        const count = rd.u32();
        const w = new Writer().u32(count + added.globals);
        for (let i = 0; i < count; i++) {
          w.bytes(rd.slice(2)); // valtype, mutability
          w.bytes(rewriteExpression(rd, ix));
        }
        emit(id, appendGlobals(w, options, hasMemory).finish());
        break;
      }
      case SECTION.export: {
        const rd = new Reader(body);
        const count = rd.u32();
        const w = new Writer().u32(count + added.exports);
        for (let i = 0; i < count; i++) {
          const nameLength = rd.u32();
          w.u32(nameLength).bytes(rd.slice(nameLength));
          const kind = rd.byte();
          const index = rd.u32();
          w.byte(kind).u32(kind === 0 ? shiftFunction(index, ix) : index);
        }
        if (added.exports > 0) w.name(options.oomExport).byte(3).u32(ix.oom);
        emit(id, w.finish());
        break;
      }
      case SECTION.start:
        emit(id, new Writer().u32(shiftFunction(new Reader(body).u32(), ix)).finish());
        break;
      case SECTION.element:
        emit(id, rewriteElements(body, ix));
        break;
      case SECTION.code: {
        const rd = new Reader(body);
        const count = rd.u32();
        const w = new Writer().u32(count + added.functions);
        for (let i = 0; i < count; i++) {
          const size = rd.u32();
          const rewritten = rewriteBody(new Reader(rd.slice(size)), ix);
          w.u32(rewritten.length).bytes(rewritten);
        }
        if (added.functions > 0) w.bytes(growBody(ix));
        emit(id, w.finish());
        break;
      }
      default:
        emit(id, body);
    }
  }
  emitMissingBefore(-1);
  return { bytes: out.finish(), definedMemory, importedMemory: imports.memory, tableElements };
}

function readName(body: Uint8Array): string {
  const rd = new Reader(body);
  return new TextDecoder().decode(rd.slice(rd.u32()));
}

function funcType(params: number[], results: number[]): Uint8Array {
  const w = new Writer().byte(0x60).u32(params.length);
  for (const p of params) w.byte(p);
  w.u32(results.length);
  for (const t of results) w.byte(t);
  return w.finish();
}

function appendGlobals(w: Writer, options: RewriteOptions, withOom: boolean): Writer {
  // fuel: (mut i32) = fuelPerTick; oom: (mut i32) = 0
  w.byte(0x7f).byte(0x01).byte(0x41).s32(options.fuelPerTick).byte(0x0b);
  if (withOom) w.byte(0x7f).byte(0x01).byte(0x41).s32(0).byte(0x0b);
  return w;
}

/** (func (param $pages i32) (result i32) (local $before i32) memory.grow, and remember a refusal) */
function growBody(ix: Indices): Uint8Array {
  const code = new Writer()
    .u32(1).u32(1).byte(0x7f) // one local of type i32
    .byte(0x20).u32(0) // local.get $pages
    .byte(0x40).byte(0x00) // memory.grow 0
    .byte(0x22).u32(1) // local.tee $before
    .byte(0x41).s32(-1) // i32.const -1
    .byte(0x46) // i32.eq
    .byte(0x04).byte(0x40) // if
    .byte(0x41).s32(1).byte(0x24).u32(ix.oom) // global.set $oom 1
    .byte(0x0b) // end
    .byte(0x20).u32(1) // local.get $before
    .byte(0x0b) // end
    .finish();
  return new Writer().u32(code.length).bytes(code).finish();
}

function fuelCheck(ix: Indices): Uint8Array {
  return new Writer()
    .byte(0x23).u32(ix.fuel) // global.get $fuel
    .byte(0x41).s32(1) // i32.const 1
    .byte(0x6b) // i32.sub
    .byte(0x24).u32(ix.fuel) // global.set $fuel
    .byte(0x23).u32(ix.fuel) // global.get $fuel
    .byte(0x45) // i32.eqz
    .byte(0x04).byte(0x40) // if
    .byte(0x10).u32(ix.tick) // call $tick
    .byte(0x24).u32(ix.fuel) // global.set $fuel
    .byte(0x0b) // end
    .finish();
}

function parseImports(body: Uint8Array | undefined): { functions: number; globals: number; memories: number; memory?: RewriteResult['importedMemory'] } {
  const result: { functions: number; globals: number; memories: number; memory?: RewriteResult['importedMemory'] } = { functions: 0, globals: 0, memories: 0 };
  if (body === undefined) return result;
  const rd = new Reader(body);
  const count = rd.u32();
  for (let i = 0; i < count; i++) {
    const module = new TextDecoder().decode(rd.slice(rd.u32()));
    const name = new TextDecoder().decode(rd.slice(rd.u32()));
    const kind = rd.byte();
    switch (kind) {
      case 0:
        rd.u32();
        result.functions++;
        break;
      case 1:
        rd.byte();
        skipLimits(rd);
        break;
      case 2: {
        const flags = rd.byte();
        const initial = rd.u32();
        const maximum = flags & 0x01 ? rd.u32() : undefined;
        result.memories++;
        if (module === 'env' && name === 'memory') result.memory = { initial, maximum, shared: (flags & 0x02) !== 0 };
        break;
      }
      case 3:
        rd.byte();
        rd.byte();
        result.globals++;
        break;
      case 4:
        rd.byte();
        rd.u32();
        break;
      default:
        throw new InvalidModuleError(`unknown import kind ${kind}`);
    }
  }
  return result;
}

function skipLimits(rd: Reader): void {
  const flags = rd.byte();
  rd.u32();
  if (flags & 0x01) rd.u32();
}

function rewriteElements(body: Uint8Array, ix: Indices): Uint8Array {
  const rd = new Reader(body);
  const count = rd.u32();
  const w = new Writer().u32(count);
  for (let i = 0; i < count; i++) {
    const flags = rd.u32();
    w.u32(flags);
    if (flags === 2 || flags === 6) w.u32(rd.u32()); // table index
    if ((flags & 0x01) === 0) w.bytes(rewriteExpression(rd, ix)); // active: offset
    const usesExpressions = (flags & 0x04) !== 0;
    if (flags & 0x03) w.byte(rd.byte()); // elemkind or reftype
    const n = rd.u32();
    w.u32(n);
    for (let j = 0; j < n; j++) {
      if (usesExpressions) w.bytes(rewriteExpression(rd, ix));
      else w.u32(shiftFunction(rd.u32(), ix));
    }
  }
  return w.finish();
}

/** A constant expression up to and including its `end`. */
function rewriteExpression(rd: Reader, ix: Indices): Uint8Array {
  return rewriteInstructions(rd, ix, true);
}

function rewriteBody(rd: Reader, ix: Indices): Uint8Array {
  const w = new Writer();
  const localGroups = rd.u32();
  w.u32(localGroups);
  for (let i = 0; i < localGroups; i++) {
    w.u32(rd.u32());
    const type = rd.byte();
    w.byte(type);
    if (type === 0x63 || type === 0x64) w.u32(rd.u32()); // (ref null? ht)
  }
  w.bytes(rewriteInstructions(rd, ix, false));
  return w.finish();
}

/**
 * Copies instructions, rewriting what needs it. For a body it runs to the
 * end of the reader; for a constant expression, to its first `end`.
 */
function rewriteInstructions(rd: Reader, ix: Indices, expression: boolean): Uint8Array {
  const w = new Writer();
  let copyFrom = rd.pos;
  const flush = (upTo: number) => {
    if (upTo > copyFrom) w.bytes(rd.bytes.subarray(copyFrom, upTo));
  };
  while (!rd.done) {
    const at = rd.pos;
    const op = rd.byte();
    switch (op) {
      case 0x0b: // end
        if (expression) {
          flush(rd.pos);
          return w.finish();
        }
        break;
      case 0x02: // block
      case 0x04: // if
      case 0x06: // try
        skipBlockType(rd);
        break;
      case 0x03: // loop
        skipBlockType(rd);
        if (ix.watchdog) {
          flush(rd.pos);
          w.bytes(fuelCheck(ix));
          copyFrom = rd.pos;
        }
        break;
      case 0x10: // call
      case 0x12: // return_call
      case 0xd2: {
        // ref.func
        const index = rd.u32();
        flush(at);
        w.byte(op).u32(shiftFunction(index, ix));
        copyFrom = rd.pos;
        break;
      }
      case 0x40: {
        // memory.grow → call $grow (same stack effect)
        const memory = rd.u32();
        if (ix.grow < 0) throw new InvalidModuleError('memory.grow in a module without a memory');
        if (memory !== 0) throw new InvalidModuleError('memory.grow on a second memory is not supported');
        flush(at);
        w.byte(0x10).u32(ix.grow);
        copyFrom = rd.pos;
        break;
      }
      default:
        skipImmediates(op, rd, at);
    }
  }
  if (expression) throw new InvalidModuleError('a constant expression has no end');
  flush(rd.pos);
  return w.finish();
}

function skipBlockType(rd: Reader): void {
  const b = rd.bytes[rd.pos];
  if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) rd.pos++;
  else rd.skipLeb(); // a type index (s33)
}

function skipMemarg(rd: Reader): void {
  const align = rd.u32();
  if (align & 0x40) rd.u32(); // multi-memory index
  rd.u32(); // offset
}

function skipImmediates(op: number, rd: Reader, at: number): void {
  if (op <= 0x01 || op === 0x05 || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b || op === 0xd1 || (op >= 0x45 && op <= 0xc4)) return;
  switch (op) {
    case 0x07: // catch
    case 0x08: // throw
    case 0x09: // rethrow
    case 0x18: // delegate
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x14: // call_ref
    case 0x15: // return_call_ref
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0x3f: // memory.size
      rd.u32();
      return;
    case 0x0e: {
      // br_table
      const n = rd.u32();
      for (let i = 0; i <= n; i++) rd.u32();
      return;
    }
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      rd.u32();
      rd.u32();
      return;
    case 0x1c: {
      // select t*
      const n = rd.u32();
      for (let i = 0; i < n; i++) rd.byte();
      return;
    }
    case 0x41:
    case 0x42:
      rd.skipLeb();
      return;
    case 0x43:
      rd.pos += 4;
      return;
    case 0x44:
      rd.pos += 8;
      return;
    case 0xd0: // ref.null ht
      skipBlockType(rd);
      return;
    case 0xfc:
      skipPrefixFC(rd.u32(), rd);
      return;
    case 0xfd:
      skipPrefixFD(rd.u32(), rd);
      return;
    case 0xfe: {
      const sub = rd.u32();
      if (sub === 0x03) rd.byte();
      else skipMemarg(rd);
      return;
    }
    default:
      if (op >= 0x28 && op <= 0x3e) {
        skipMemarg(rd);
        return;
      }
      throw new InvalidModuleError(`cannot instrument: unsupported opcode 0x${op.toString(16)} at byte ${at} of a function`);
  }
}

function skipPrefixFC(sub: number, rd: Reader): void {
  if (sub <= 7) return;
  switch (sub) {
    case 8: // memory.init data mem
    case 10: // memory.copy mem mem
    case 12: // table.init elem table
    case 14: // table.copy
      rd.u32();
      rd.u32();
      return;
    case 9:
    case 11:
    case 13:
    case 15:
    case 16:
    case 17:
      rd.u32();
      return;
    default:
      throw new InvalidModuleError(`cannot instrument: unsupported opcode 0xfc ${sub}`);
  }
}

function skipPrefixFD(sub: number, rd: Reader): void {
  if (sub <= 11 || sub === 92 || sub === 93) {
    skipMemarg(rd);
    return;
  }
  if (sub === 12 || sub === 13) {
    rd.pos += 16;
    return;
  }
  if (sub >= 21 && sub <= 34) {
    rd.byte();
    return;
  }
  if (sub >= 84 && sub <= 91) {
    skipMemarg(rd);
    rd.byte();
  }
  // Everything else in SIMD (and relaxed SIMD) has no immediates.
}
