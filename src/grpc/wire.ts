/**
 * A fast encoder for RunFunctionResponse. The SDK's generated encoder turns every JSON value into
 * a Value message object, then writes each string through TextEncoder into its own buffer; for
 * the ~10 KiB of objects a tenant's response carries that was most of the time a call took
 * (bench/README.md). This one walks the plain objects once and writes UTF-8 straight into one
 * growing Buffer. test/wire.test.ts checks it byte-compatible with the generated decoder, on
 * real responses and on generated JSON.
 *
 * Earlier steps' desired resources that nobody read go back as the bytes they came in
 * (./request.ts).
 *
 * It also refuses what a protobuf Struct cannot carry (NaN, Infinity, undefined in a list, a
 * Date or another class instance) instead of sending something Crossplane cannot read.
 */
import {
  Ready,
  Requirements,
  Severity,
  Status,
  type Condition,
  type Resource,
  type Result,
  type RunFunctionResponse,
  type State,
} from '@crossplane-org/function-sdk-typescript';
import { PassThroughResource } from './request.js';

/** A value a protobuf Struct cannot carry, named by its path in the response. */
export class UnsafeValueError extends Error {
  override readonly name = 'UnsafeValueError';
  constructor(path: string, what: string) {
    super(`${path}: ${what} cannot be sent to Crossplane`);
  }
}

const LEN = 2; // wire type: length-delimited
const VARINT = 0;
const FIXED64 = 1;

/** What one Writer keeps between calls: enough for every response of a typical tenant. */
const KEPT_BYTES = 128 * 1024;

/**
 * One scratch buffer for every response, copied out at the end: encoding is synchronous, so no
 * two encodings share it, and a call then allocates once, the exact size, instead of a fresh
 * 16 KiB buffer that grows by doubling (less malloc churn, a smaller peak RSS under load).
 */
class Writer {
  buf: Buffer = Buffer.allocUnsafe(KEPT_BYTES);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(value: number): void {
    this.ensure(10);
    let v = value;
    if (v < 0 || !Number.isSafeInteger(v)) {
      // Negative or huge: two's complement over 64 bits, as protobuf writes int64/int32.
      let big = BigInt.asUintN(64, BigInt(Math.trunc(v)));
      while (big > 0x7fn) {
        this.buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      this.buf[this.pos++] = Number(big);
      return;
    }
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wireType: number): void {
    this.ensure(1);
    this.buf[this.pos++] = (field << 3) | wireType; // every field number here is below 16
  }

  string(field: number, value: string): void {
    this.tag(field, LEN);
    // UTF-8 needs at most 3 bytes per UTF-16 unit; reserve a one-byte length and fix it up.
    this.ensure(value.length * 3 + 5);
    const start = this.pos;
    let written = -1;
    if (value.length < 128) {
      // Short ASCII, nearly every key and value here: a JS loop beats a call into Buffer.write.
      const buf = this.buf;
      let at = start + 1;
      let i = 0;
      for (; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buf[at++] = code;
      }
      if (i === value.length) written = value.length;
    }
    if (written < 0) written = this.buf.write(value, start + 1, 'utf8');
    this.pos = start + 1 + written;
    this.close(start, written);
  }

  /** A map entry's key: proto3 leaves out a key that is the empty string, as the generated encoder does. */
  key(value: string): void {
    if (value !== '') this.string(1, value);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** Starts a length-delimited field; returns where its one-byte length placeholder is. */
  open(field: number): number {
    this.tag(field, LEN);
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the field opened at `start`: writes its length, moving the body if it needs more bytes. */
  close(start: number, length = this.pos - start - 1): void {
    if (length < 0x80) {
      this.buf[start] = length;
      return;
    }
    let extra = 0;
    for (let n = length; n >= 0x80; n = Math.floor(n / 0x80)) extra++;
    this.ensure(extra);
    this.buf.copyWithin(start + 1 + extra, start + 1, this.pos);
    this.pos += extra;
    let v = length;
    let at = start;
    while (v >= 0x80) {
      this.buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[at] = v;
  }

  /** A copy of what was written; the scratch buffer is then ready for the next response. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    // A rare huge response does not pin its buffer for the life of the process.
    if (this.buf.length > KEPT_BYTES) this.buf = Buffer.allocUnsafe(KEPT_BYTES);
    return out;
  }
}

/**
 * Where the walk is, for the message of an {@link UnsafeValueError}: keys and list indexes pushed
 * and popped around each value (a path string built per field was a quarter of what encoding a
 * response allocated). Encoding is synchronous, so one stack serves every call.
 */
const where: Array<string | number> = [];

function pathOf(): string {
  let out = '';
  for (const part of where) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

// google.protobuf.Struct { map<string, Value> fields = 1; }
function struct(w: Writer, obj: Record<string, unknown>): void {
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const value = obj[key];
    if (value === undefined) continue; // an absent field, as JSON has it
    const entry = w.open(1);
    w.key(key);
    const v = w.open(2);
    where.push(key);
    valueOf(w, value);
    where.pop();
    w.close(v);
    w.close(entry);
  }
}

// google.protobuf.Value: null 1, number 2, string 3, bool 4, struct 5, list 6.
function valueOf(w: Writer, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.string(3, value);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new UnsafeValueError(pathOf(), String(value));
      w.double(2, value);
      return;
    case 'boolean':
      w.tag(4, VARINT);
      w.varint(value ? 1 : 0);
      return;
    case 'object': {
      if (value === null) {
        w.tag(1, VARINT);
        w.varint(0);
        return;
      }
      if (Array.isArray(value)) {
        const list = w.open(6);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          where.push(i);
          if (item === undefined) throw new UnsafeValueError(pathOf(), 'undefined');
          const v = w.open(1);
          valueOf(w, item);
          w.close(v);
          where.pop();
        }
        w.close(list);
        return;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new UnsafeValueError(pathOf(), `a ${value.constructor.name}`);
      const s = w.open(5);
      struct(w, value as Record<string, unknown>);
      w.close(s);
      return;
    }
    default:
      throw new UnsafeValueError(pathOf(), `a ${typeof value}`);
  }
}

function structField(w: Writer, field: number, obj: Record<string, unknown>, path: string): void {
  const at = w.open(field);
  // A throw below leaves the stack as it was at the throw: start from this field's path.
  where.length = 0;
  where.push(path);
  struct(w, obj);
  w.close(at);
}

function resource(w: Writer, r: Resource, path: string): void {
  if (r.resource !== undefined) structField(w, 1, r.resource, path);
  for (const [key, value] of Object.entries(r.connectionDetails)) {
    const entry = w.open(2);
    w.key(key);
    w.bytes(2, value);
    w.close(entry);
  }
  if (r.ready !== Ready.READY_UNSPECIFIED) {
    w.tag(3, VARINT);
    w.varint(r.ready);
  }
}

function state(w: Writer, s: State): void {
  if (s.composite !== undefined) {
    const at = w.open(1);
    resource(w, s.composite, 'desired.composite');
    w.close(at);
  }
  for (const [key, value] of Object.entries(s.resources)) {
    const entry = w.open(2);
    w.key(key);
    if (value instanceof PassThroughResource && !value.read) {
      // An earlier step's resource nobody read: its bytes as they came.
      w.bytes(2, value.bytes);
    } else {
      const at = w.open(2);
      resource(w, value, `desired.resources.${key}`);
      w.close(at);
    }
    w.close(entry);
  }
}

function result(w: Writer, r: Result): void {
  if (r.severity !== Severity.SEVERITY_UNSPECIFIED) {
    w.tag(1, VARINT);
    w.varint(r.severity);
  }
  if (r.message !== '') w.string(2, r.message);
  if (r.reason !== undefined) w.string(3, r.reason);
  if (r.target !== undefined) {
    w.tag(4, VARINT);
    w.varint(r.target);
  }
}

function condition(w: Writer, c: Condition): void {
  if (c.type !== '') w.string(1, c.type);
  if (c.status !== Status.STATUS_CONDITION_UNSPECIFIED) {
    w.tag(2, VARINT);
    w.varint(c.status);
  }
  if (c.reason !== '') w.string(3, c.reason);
  if (c.message !== undefined) w.string(4, c.message);
  if (c.target !== undefined) {
    w.tag(5, VARINT);
    w.varint(c.target);
  }
}

const writer = new Writer();

/** RunFunctionResponse in protobuf wire format, as the generated encoder would write it. */
export function encodeResponse(res: RunFunctionResponse): Buffer {
  const w = writer;
  // A throw (an unsafe value) leaves the scratch buffer half written: start over.
  w.pos = 0;
  if (res.meta !== undefined) {
    const meta = w.open(1);
    if (res.meta.tag !== '') w.string(1, res.meta.tag);
    if (res.meta.ttl !== undefined) {
      const ttl = w.open(2);
      if (res.meta.ttl.seconds !== 0) {
        w.tag(1, VARINT);
        w.varint(res.meta.ttl.seconds);
      }
      if (res.meta.ttl.nanos !== 0) {
        w.tag(2, VARINT);
        w.varint(res.meta.ttl.nanos);
      }
      w.close(ttl);
    }
    w.close(meta);
  }
  if (res.desired !== undefined) {
    const at = w.open(2);
    state(w, res.desired);
    w.close(at);
  }
  for (const r of res.results) {
    const at = w.open(3);
    result(w, r);
    w.close(at);
  }
  if (res.context !== undefined) structField(w, 4, res.context, 'context');
  // This function never sets requirements; should one ever, the generated encoder writes it.
  if (res.requirements !== undefined) w.bytes(5, Requirements.encode(res.requirements).finish());
  for (const c of res.conditions) {
    const at = w.open(6);
    condition(w, c);
    w.close(at);
  }
  if (res.output !== undefined) structField(w, 7, res.output, 'output');
  return w.finish();
}
