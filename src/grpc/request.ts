/**
 * A decoder for RunFunctionRequest that reads the protobuf wire format straight into the plain
 * objects the SDK's types describe, and leaves every composed resource undecoded until someone
 * reads it.
 *
 * Why not the SDK's generated decoder: it builds a message object for every google.protobuf.Value
 * and then unwraps it into a plain one, and it decodes every resource of the request, including the
 * desired resources of earlier pipeline steps that this function only passes back. Here a Struct
 * becomes its plain object in one walk, and each entry of `observed.resources` and
 * `desired.resources` is a {@link PassThroughResource}: its bytes are kept, decoded on first read,
 * and written back verbatim by the encoder (./wire.ts) when nobody read them.
 *
 * What comes out equals what the generated decoder makes (test/request.test.ts decodes the same
 * bytes with both), with two deliberate differences on input no Crossplane sends: a key
 * `__proto__` is kept as an ordinary own key (the generated code assigns it, which sets the
 * prototype of a throw-away object and loses the value; the encoder writes it back), and nesting
 * is limited by JSON depth ({@link MAX_DEPTH}) rather than by ts-proto's count of nested messages.
 */
import type { Credentials, Resource, Resources, RunFunctionRequest, Schema, State } from '@crossplane-org/function-sdk-typescript';

/** The request could not be decoded: the message says where. grpc-js answers INTERNAL. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** The deepest JSON nesting accepted in a Struct: far beyond any Kubernetes object, far below the stack. */
export const MAX_DEPTH = 200;

type Obj = Record<string, unknown>;

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

/** `into[key] = value`, where a key `__proto__` is an own key like any other, never a prototype. */
function put<T>(into: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

class Reader {
  pos = 0;
  /** The same bytes as a Buffer (no copy), for its UTF-8 slicing. */
  private readonly text: Buffer;
  constructor(
    readonly buf: Uint8Array,
    readonly view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
  ) {
    this.text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The low 32 bits of a varint, unsigned: tags, lengths, enums and bools are no wider. */
  varint(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.buf.length) throw new DecodeError('truncated varint');
      const byte = this.buf[this.pos++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
      if (shift >= 63) throw new DecodeError('varint longer than 10 bytes');
    }
  }

  /** An int32 as protobuf writes it: a negative one is ten bytes of two's complement. */
  int32(): number {
    return this.varint() | 0;
  }

  /** The end of a length-delimited field that starts here. */
  end(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) throw new DecodeError('length past the end of the message');
    return end;
  }

  string(): string {
    const end = this.end();
    const start = this.pos;
    this.pos = end;
    // One native call that allocates only the string (a JS loop appending one character at a
    // time made a string per character: half of all a steady-state call allocated). Invalid
    // UTF-8 becomes U+FFFD and a BOM is kept, as the generated decoder's TextDecoder does.
    return this.text.toString('utf8', start, end);
  }

  bytes(): Buffer {
    const end = this.end();
    const out = Buffer.from(this.buf.subarray(this.pos, end));
    this.pos = end;
    return out;
  }

  /** The raw bytes of a length-delimited field, not copied. */
  slice(): Uint8Array {
    const end = this.end();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new DecodeError('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        break;
      case LEN:
        this.pos = this.end();
        return;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw new DecodeError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.buf.length) throw new DecodeError('truncated field');
  }
}

// google.protobuf.Struct { map<string, Value> fields = 1; }
function struct(r: Reader, end: number, depth: number): Obj {
  if (depth > MAX_DEPTH) throw new DecodeError(`a Struct nested deeper than ${MAX_DEPTH} levels`);
  const obj: Obj = {};
  while (r.pos < end) {
    const tag = r.varint();
    if (tag !== 10) {
      r.skip(tag & 7);
      continue;
    }
    const entryEnd = r.end();
    let key = '';
    let value: unknown;
    let hasValue = false;
    while (r.pos < entryEnd) {
      const t = r.varint();
      if (t === 10) key = r.string();
      else if (t === 18) {
        value = valueOf(r, r.end(), depth);
        hasValue = true;
      } else r.skip(t & 7);
    }
    // A map entry without a value is left out, as the generated decoder does. Inlined rather
    // than put(): this store is the decoder's hottest line.
    if (!hasValue) continue;
    if (key === '__proto__') put(obj, key, value);
    else obj[key] = value;
  }
  return obj;
}

// google.protobuf.Value: null 1, number 2, string 3, bool 4, struct 5, list 6. The last kind wins.
function valueOf(r: Reader, end: number, depth: number): unknown {
  let value: unknown;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 8:
        r.varint();
        value = null;
        break;
      case 17:
        value = r.double();
        break;
      case 26:
        value = r.string();
        break;
      case 32:
        value = r.varint() !== 0;
        break;
      case 42:
        value = struct(r, r.end(), depth + 1);
        break;
      case 50:
        value = list(r, r.end(), depth + 1);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return value;
}

// google.protobuf.ListValue { repeated Value values = 1; }
function list(r: Reader, end: number, depth: number): unknown[] {
  if (depth > MAX_DEPTH) throw new DecodeError(`a list nested deeper than ${MAX_DEPTH} levels`);
  const out: unknown[] = [];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 10) out.push(valueOf(r, r.end(), depth));
    else r.skip(tag & 7);
  }
  return out;
}

// map<string, bytes>
function bytesEntry(r: Reader, end: number, into: Record<string, Buffer>): void {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  while (r.pos < end) {
    const t = r.varint();
    if (t === 10) key = r.string();
    else if (t === 18) value = r.bytes();
    else r.skip(t & 7);
  }
  put(into, key, value);
}

// Resource { Struct resource = 1; map<string, bytes> connection_details = 2; Ready ready = 3; }
function resource(r: Reader, end: number): Resource {
  const out: Resource = { resource: undefined, connectionDetails: {}, ready: 0 };
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 10) out.resource = struct(r, r.end(), 1);
    else if (tag === 18) bytesEntry(r, r.end(), out.connectionDetails);
    else if (tag === 24) out.ready = r.int32();
    else r.skip(tag & 7);
  }
  return out;
}

/** The decoded resource of one entry, read from its bytes the first time anything asks. */
export class PassThroughResource implements Resource {
  #decoded: Resource | undefined;

  constructor(
    /** The Resource message as it came: written back as it is until it is read. */
    readonly bytes: Uint8Array,
  ) {}

  /** Whether anything has read this resource (the encoder then writes what was read). */
  get read(): boolean {
    return this.#decoded !== undefined;
  }

  #decode(): Resource {
    if (this.#decoded === undefined) {
      const r = new Reader(this.bytes);
      this.#decoded = resource(r, this.bytes.length);
    }
    return this.#decoded;
  }

  get resource(): Resource['resource'] {
    return this.#decode().resource;
  }
  get connectionDetails(): Resource['connectionDetails'] {
    return this.#decode().connectionDetails;
  }
  get ready(): Resource['ready'] {
    return this.#decode().ready;
  }

  /** A plain copy, for comparisons and for JSON. */
  toJSON(): Resource {
    return { ...this.#decode() };
  }
}

// State { Resource composite = 1; map<string, Resource> resources = 2; }
function state(r: Reader, end: number): State {
  const out: State = { composite: undefined, resources: {} };
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 10) out.composite = resource(r, r.end());
    else if (tag === 18) {
      const entryEnd = r.end();
      let key = '';
      let value: Uint8Array | undefined;
      while (r.pos < entryEnd) {
        const t = r.varint();
        if (t === 10) key = r.string();
        else if (t === 18) value = r.slice();
        else r.skip(t & 7);
      }
      if (value !== undefined) put(out.resources, key, new PassThroughResource(value));
    } else r.skip(tag & 7);
  }
  return out;
}

// Resources { repeated Resource items = 1; }
function resources(r: Reader, end: number): Resources {
  const items: Resource[] = [];
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 10) items.push(resource(r, r.end()));
    else r.skip(tag & 7);
  }
  return { items };
}

// Credentials { oneof source { CredentialData credential_data = 1; } } CredentialData { map<string, bytes> data = 1; }
function credentials(r: Reader, end: number): Credentials {
  const out: Credentials = { credentialData: undefined };
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 10) {
      const dataEnd = r.end();
      const data: Record<string, Buffer> = {};
      while (r.pos < dataEnd) {
        const t = r.varint();
        if (t === 10) bytesEntry(r, r.end(), data);
        else r.skip(t & 7);
      }
      out.credentialData = { data };
    } else r.skip(tag & 7);
  }
  return out;
}

// Schema { optional Struct openapi_v3 = 1; }
function schema(r: Reader, end: number): Schema {
  const out: Schema = { openapiV3: undefined };
  while (r.pos < end) {
    const tag = r.varint();
    if (tag === 10) out.openapiV3 = struct(r, r.end(), 1);
    else r.skip(tag & 7);
  }
  return out;
}

/** A map<string, Message> entry: the key and the value's decoder. */
function mapEntry<T>(r: Reader, into: Record<string, T>, decode: (r: Reader, end: number) => T): void {
  const end = r.end();
  let key = '';
  let value: T | undefined;
  while (r.pos < end) {
    const t = r.varint();
    if (t === 10) key = r.string();
    else if (t === 18) value = decode(r, r.end());
    else r.skip(t & 7);
  }
  if (value !== undefined) put(into, key, value);
}

/** RunFunctionRequest from its wire format. Throws DecodeError on bytes that are not one. */
export function decodeRequest(bytes: Uint8Array): RunFunctionRequest {
  const r = new Reader(bytes);
  const req: RunFunctionRequest = {
    meta: undefined,
    observed: undefined,
    desired: undefined,
    input: undefined,
    context: undefined,
    extraResources: {},
    credentials: {},
    requiredResources: {},
    requiredSchemas: {},
  };
  try {
    while (r.pos < bytes.length) {
      const tag = r.varint();
      switch (tag) {
        case 10: {
          const end = r.end();
          const meta: NonNullable<RunFunctionRequest['meta']> = { tag: '', capabilities: [] };
          while (r.pos < end) {
            const t = r.varint();
            if (t === 10) meta.tag = r.string();
            else if (t === 16) meta.capabilities.push(r.int32());
            else if (t === 18) {
              const packedEnd = r.end();
              while (r.pos < packedEnd) meta.capabilities.push(r.int32());
            } else r.skip(t & 7);
          }
          req.meta = meta;
          break;
        }
        case 18:
          req.observed = state(r, r.end());
          break;
        case 26:
          req.desired = state(r, r.end());
          break;
        case 34:
          req.input = struct(r, r.end(), 1);
          break;
        case 42:
          req.context = struct(r, r.end(), 1);
          break;
        case 50:
          mapEntry(r, req.extraResources, resources);
          break;
        case 58:
          mapEntry(r, req.credentials, credentials);
          break;
        case 66:
          mapEntry(r, req.requiredResources, resources);
          break;
        case 74:
          mapEntry(r, req.requiredSchemas, schema);
          break;
        default:
          if ((tag & 7) === 4 || tag === 0) throw new DecodeError(`invalid field tag ${tag}`);
          r.skip(tag & 7);
      }
    }
    if (r.pos !== bytes.length) throw new DecodeError('a field runs past the end of the message');
  } catch (err) {
    if (err instanceof RangeError) throw new DecodeError(`truncated message (${err.message})`);
    throw err;
  }
  return req;
}
