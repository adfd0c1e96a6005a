// The sandbox's JavaScript half. Evaluated once per context as an internal source (its frames stay out of
// bots' stack traces); installs the globals a bot may use and returns the runner that BotContext drives.
// `host` holds the only Java functions a context can reach (SandboxHost): log, call, digest, hmac, random,
// uuid, encode, decode, transcode, stopped. Nothing here reads files, the environment or the network.
(function (host) {
  'use strict';

  const G = globalThis;
  // The prelude's own views and copies use the constructors as they are, since what they allocate is bounded by
  // data that already exists; bots get them capped (see "Buffers" below), and so does Buffer.
  const ArrayBuffer = G.ArrayBuffer, SharedArrayBuffer = G.SharedArrayBuffer, Uint8Array = G.Uint8Array;
  const ObjectDefineProperty = Object.defineProperty;
  const hasOwn = Object.prototype.hasOwnProperty;
  const JSONstringify = JSON.stringify;
  const JSONparse = JSON.parse;
  const PromiseResolve = Promise.resolve.bind(Promise);
  const PromiseReject = Promise.reject.bind(Promise);
  const promiseThen = Promise.prototype.then;
  const DateNow = Date.now;
  const utf8Encoder = new TextEncoder();
  const utf8Decoder = new TextDecoder();
  const hostLog = host.log, hostCall = host.call, hostDigest = host.digest, hostHmac = host.hmac,
    hostRandom = host.random, hostUuid = host.uuid, hostEncode = host.encode, hostDecode = host.decode,
    hostTranscode = host.transcode, hostStopped = host.stopped;

  function define(name, value) {
    ObjectDefineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });
  }

  // ---------------------------------------------------------------------------------------------------------
  // The current run: its limits and how the handler's Promise settled. Null between runs.
  const PENDING = 0, FULFILLED = 1, REJECTED = 2;
  let run = null;

  function openRun(maxLogChars, maxResultChars, maxBufferBytes) {
    run = { state: PENDING, value: undefined, error: undefined, maxLogChars, maxResultChars, maxBufferBytes };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Buffers: allocated and zeroed in one step, faster than the watchdog polls, so a few runs each asking for a
  // gigabyte at once could exhaust the server's heap (the launcher then ends the JVM). A buffer larger than the
  // run's maxBufferBytes fails at once with the RangeError Node gives when an allocation fails; allocation in
  // many small steps is left to the watchdog's budget. The constructors stay the same objects to bots as far as
  // identity goes: a Proxy keeps their prototype, statics and instanceof, and subclasses (Buffer) go through it.
  const ReflectConstruct = Reflect.construct;
  const NumberOf = Number;
  const IteratorSymbol = Symbol.iterator;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const bufferKinds = [ArrayBuffer, G.SharedArrayBuffer].filter((c) => typeof c === 'function')
    .map((c) => ({ type: c, byteLength: Object.getOwnPropertyDescriptor(c.prototype, 'byteLength').get }));
  const typedArrayLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length').get;

  // Checks without exceptions on the common paths: a throw costs more than the allocation it guards.
  /** Whether value is a real ArrayBuffer or SharedArrayBuffer (one only made to look like one is not). */
  function isBuffer(value) {
    for (const kind of bufferKinds) {
      if (!(value instanceof kind.type)) continue;
      try {
        kind.byteLength.call(value);
        return true;
      } catch (e) { /* its prototype is a buffer's, not its data */ }
    }
    return false;
  }

  /** The length of a typed array (read as the constructor reads it), or -1 for anything else. */
  function typedLength(value) {
    if (!ArrayBufferIsView(value)) return -1;
    try {
      return typedArrayLength.call(value);
    } catch (e) {
      return -1; // a DataView
    }
  }

  function capBytes(bytes) {
    if (run !== null && bytes > run.maxBufferBytes) {
      throw new RangeError('Array buffer allocation failed: ' + bytes + ' bytes is more than the ' + run.maxBufferBytes
        + ' a bot may allocate at once');
    }
  }

  function lengthArgument(value) {
    const n = NumberOf(value);
    return n > 0 ? n : 0;
  }

  function capConstructor(name, bytesOf) {
    const Real = G[name];
    if (typeof Real !== 'function') return;
    const capped = new Proxy(Real, {
      construct(target, args, newTarget) {
        capBytes(bytesOf(args, Real));
        return ReflectConstruct(target, args, newTarget === capped ? target : newTarget);
      },
    });
    ObjectDefineProperty(Real.prototype, 'constructor', { value: capped, writable: true, configurable: true, enumerable: false });
    define(name, capped);
  }

  /** Replaces prototype[method] with one that calls check(this, args) first, under the same name. */
  function guardMethod(prototype, method, check) {
    const real = prototype && prototype[method];
    if (typeof real !== 'function') return;
    const guarded = {
      [method](...args) {
        check(this, args);
        return real.apply(this, args);
      },
    }[method];
    ObjectDefineProperty(prototype, method, { value: guarded, writable: true, configurable: true, enumerable: false });
  }

  function bufferBytes(args) {
    const options = args[1];
    const max = options !== null && typeof options === 'object' && options.maxByteLength !== undefined
      ? lengthArgument(options.maxByteLength) : 0;
    return Math.max(lengthArgument(args[0]), max);
  }

  /** The bytes a typed array constructor allocates when its first argument is {@code first}. */
  function typedArrayBytes(first, bytesPerElement) {
    let elements;
    if (first === null || (typeof first !== 'object' && typeof first !== 'function')) {
      elements = lengthArgument(first);
    } else if ((elements = typedLength(first)) >= 0) {
      // a typed array is copied element by element, perhaps into wider elements
    } else if (isBuffer(first) || typeof first[IteratorSymbol] === 'function') {
      elements = 0; // a view allocates nothing; an iterable is read (and so allocated) one value at a time
    } else {
      elements = lengthArgument(first.length); // array-like: allocated at its length before it is read
    }
    return elements * bytesPerElement;
  }

  capConstructor('ArrayBuffer', bufferBytes);
  capConstructor('SharedArrayBuffer', bufferBytes);
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Float16Array',
    'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']) {
    capConstructor(name, (args, Real) => typedArrayBytes(args[0], Real.BYTES_PER_ELEMENT));
  }
  const newLength = (self, args) => capBytes(lengthArgument(args[0]));
  guardMethod(ArrayBuffer.prototype, 'resize', newLength);
  guardMethod(ArrayBuffer.prototype, 'transfer', newLength);
  guardMethod(ArrayBuffer.prototype, 'transferToFixedLength', newLength);
  guardMethod(SharedArrayBuffer && SharedArrayBuffer.prototype, 'grow', newLength);

  // Strings: the engine refuses one longer than host.maxStringChars in its builtins (JSON.stringify, join,
  // concatenation, repeat, padding, regular expression replacement), except in replace and replaceAll with a string
  // pattern and a string replacement, which build their whole result in one step. There a short replacement at
  // every match of a long string, or "$'" (the rest of the string) many times in the replacement, multiplies two
  // lengths, so the result's length is bounded first; matches are counted only when the bound is over the limit.
  const maxStringChars = host.maxStringChars;
  const StringOf = String, SymbolReplace = Symbol.replace;
  const asString = (value) => (typeof value === 'string' ? value : StringOf(value));
  /** How often part occurs in text, counting no further than one past most. */
  function occurrences(text, part, most) {
    let n = 0;
    for (let at = text.indexOf(part); at >= 0 && n <= most; at = text.indexOf(part, at + part.length)) n++;
    return n;
  }
  function checkReplace(self, args, all) {
    const pattern = args[0], replacement = args[1];
    if (self === null || self === undefined || typeof replacement === 'function') return; // throws, or builds stepwise
    if (pattern !== null && pattern !== undefined && pattern[SymbolReplace] !== undefined) return; // a RegExp: checked
    const text = asString(self), find = asString(pattern), insert = asString(replacement);
    const room = maxStringChars - text.length;
    // each '$' inserts at most the whole text ($`, $' or $&)
    const dollars = insert.indexOf('$') < 0 ? 0 : occurrences(insert, '$', room / Math.max(1, text.length));
    const grows = insert.length + dollars * text.length - find.length; // per match, at most
    if (grows <= 0) return;
    const most = !all ? 1 : find.length === 0 ? text.length + 1 : Math.floor(text.length / find.length);
    if (most * grows <= room) return;
    const matches = find.length === 0 ? most : Math.min(most, occurrences(text, find, Math.floor(room / grows)));
    if (matches * grows > room) throw new RangeError('Invalid string length');
  }
  guardMethod(StringOf.prototype, 'replace', (self, args) => checkReplace(self, args, false));
  guardMethod(StringOf.prototype, 'replaceAll', (self, args) => checkReplace(self, args, true));

  // ---------------------------------------------------------------------------------------------------------
  // JSON.stringify is one builtin step that the watchdog cannot stop, and its work is not bounded by its output:
  // a value may hold millions of keys whose values print nothing, or share one object along 2^40 paths, and keep
  // a run's thread (and its slot) busy for minutes past its timeout. So every stringify, the bot's and the
  // sandbox's own, goes through a replacer that every 1,024 keys asks whether the run was stopped (its timeout,
  // its memory budget, a shutdown) and then throws.
  const ReflectApply = Reflect.apply, ArrayIsArray = Array.isArray;
  const STOPPED = 'The run was stopped';

  /** JSON text of value; visit(holder, key, v), when given, is the replacer proper. */
  function stringify(value, visit, indent) {
    let keys = 0;
    return JSONstringify(value, function (key, v) {
      if ((++keys & 1023) === 0 && hostStopped()) throw new RangeError(STOPPED);
      return visit === undefined ? v : visit(this, key, v);
    }, indent);
  }

  // The brand checks of SerializeJSONProperty: boxed primitives serialise as their value, not as objects.
  const boxedValueOf = [Number, String, Boolean, G.BigInt, Symbol]
    .filter((c) => typeof c === 'function').map((c) => c.prototype.valueOf);
  function isBoxed(v) {
    for (const valueOf of boxedValueOf) {
      try {
        ReflectApply(valueOf, v, []);
        return true;
      } catch (e) { /* not this kind */ }
    }
    return false;
  }

  /** An array replacer as the function replacer it is equivalent to: each plain object cut to the listed keys. */
  function keyFilter(list) {
    const keys = [];
    for (const item of list) {
      const key = typeof item === 'string' ? item
        : typeof item === 'number' || (item !== null && typeof item === 'object' && isBoxed(item)) ? StringOf(item)
          : undefined;
      if (key !== undefined && !keys.includes(key)) keys.push(key);
    }
    return (holder, key, v) => {
      if (v === null || typeof v !== 'object' || ArrayIsArray(v) || isBoxed(v)) return v;
      const cut = {};
      for (const k of keys) {
        ObjectDefineProperty(cut, k, { value: v[k], writable: true, enumerable: true, configurable: true });
      }
      return cut; // integer-like keys enumerate first here, where the builtin keeps the list's order
    };
  }

  ObjectDefineProperty(JSON, 'stringify', {
    value: {
      stringify(value, replacer, space) {
        if (typeof replacer === 'function') {
          return stringify(value, (holder, key, v) => ReflectApply(replacer, holder, [key, v]), space);
        }
        return stringify(value, ArrayIsArray(replacer) ? keyFilter(replacer) : undefined, space);
      },
    }.stringify,
    writable: true, configurable: true, enumerable: false,
  });

  // ---------------------------------------------------------------------------------------------------------
  // console: one line per call, arguments joined by a space, objects as JSON (cycles as a placeholder).

  function safeJson(value, indent) {
    const ancestors = [];
    try {
      const text = stringify(value, (holder, key, v) => {
        if (typeof v === 'bigint') return v.toString();
        if (typeof v !== 'object' || v === null) return v;
        while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== holder) ancestors.pop();
        if (ancestors.includes(v)) return '[Circular]';
        ancestors.push(v);
        return v;
      }, indent);
      return text === undefined ? String(value) : text;
    } catch (e) {
      try {
        return String(value);
      } catch (e2) {
        return '[object]';
      }
    }
  }

  function errorText(e) {
    try {
      const stack = e.stack;
      if (typeof stack === 'string' && stack !== '') return stack;
      return String(e);
    } catch (e2) {
      return '[Error]';
    }
  }

  function formatArg(v) {
    switch (typeof v) {
      case 'string': return v;
      case 'function': return '[Function: ' + (v.name || '(anonymous)') + ']';
      case 'symbol': return v.toString();
      case 'object':
        if (v === null) return 'null';
        if (v instanceof Error) return errorText(v);
        return safeJson(v);
      default: return String(v);
    }
  }

  function emit(level, text) {
    if (run === null) return;
    const max = run.maxLogChars;
    if (text.length > max) text = text.slice(text.length - max); // the tail is kept; never cross a huge string
    hostLog(level, text);
  }

  function emitArgs(level, args) {
    let text = '';
    for (let i = 0; i < args.length; i++) {
      if (i > 0) text += ' ';
      text += formatArg(args[i]);
      if (run !== null && text.length > 2 * run.maxLogChars) text = text.slice(text.length - run.maxLogChars);
    }
    emit(level, text);
  }

  const timeLabels = new Map(); // console.time
  const counts = new Map();
  const console = {
    log: (...args) => emitArgs('info', args),
    info: (...args) => emitArgs('info', args),
    warn: (...args) => emitArgs('warn', args),
    error: (...args) => emitArgs('error', args),
    debug: (...args) => emitArgs('debug', args),
    trace: (...args) => emitArgs('trace', args),
    dir: (value) => emitArgs('info', [value]),
    table: (value) => emitArgs('info', [value]),
    assert: (condition, ...args) => {
      if (!condition) emitArgs('error', ['Assertion failed' + (args.length > 0 ? ':' : ''), ...args]);
    },
    time: (label = 'default') => { timeLabels.set(String(label), DateNow()); },
    timeLog: (label = 'default', ...args) => {
      const start = timeLabels.get(String(label));
      if (start !== undefined) emitArgs('info', [String(label) + ': ' + (DateNow() - start) + 'ms', ...args]);
    },
    timeEnd: (label = 'default') => {
      const start = timeLabels.get(String(label));
      if (start === undefined) return;
      timeLabels.delete(String(label));
      emitArgs('info', [String(label) + ': ' + (DateNow() - start) + 'ms']);
    },
    count: (label = 'default') => {
      const n = (counts.get(String(label)) || 0) + 1;
      counts.set(String(label), n);
      emitArgs('info', [String(label) + ': ' + n]);
    },
    countReset: (label = 'default') => { counts.delete(String(label)); },
    group: (...args) => { if (args.length > 0) emitArgs('info', args); },
    groupEnd: () => {},
  };
  define('console', console);

  // ---------------------------------------------------------------------------------------------------------
  // DOMException, Event, EventTarget, AbortController, AbortSignal (small, enough for SDKs that pass signals).

  class DOMException extends Error {
    constructor(message = '', name = 'Error') {
      super(message);
      ObjectDefineProperty(this, 'name', { value: String(name), writable: true, configurable: true });
    }
  }
  define('DOMException', DOMException);

  class Event {
    #defaultPrevented = false;
    constructor(type, init) {
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.type = String(type);
      this.cancelable = !!(init && init.cancelable);
      this.timeStamp = DateNow();
    }
    get defaultPrevented() { return this.#defaultPrevented; }
    preventDefault() { if (this.cancelable) this.#defaultPrevented = true; }
  }
  define('Event', Event);

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options) {
      if (listener == null) return;
      const list = this.#listeners.get(String(type)) || [];
      if (list.some((l) => l.listener === listener)) return;
      list.push({ listener, once: !!(options && typeof options === 'object' && options.once) });
      this.#listeners.set(String(type), list);
    }
    removeEventListener(type, listener) {
      const list = this.#listeners.get(String(type));
      if (list) this.#listeners.set(String(type), list.filter((l) => l.listener !== listener));
    }
    dispatchEvent(event) {
      const list = (this.#listeners.get(event.type) || []).slice();
      for (const l of list) {
        if (l.once) this.removeEventListener(event.type, l.listener);
        try {
          if (typeof l.listener === 'function') l.listener.call(this, event);
          else if (l.listener && typeof l.listener.handleEvent === 'function') l.listener.handleEvent(event);
        } catch (e) {
          emit('error', 'Uncaught error in event listener: ' + errorText(e));
        }
      }
      return !event.defaultPrevented;
    }
  }
  define('EventTarget', EventTarget);

  const signalToken = Symbol('AbortSignal');
  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    constructor(token) {
      if (token !== signalToken) throw new TypeError('Illegal constructor');
      super();
      this.onabort = null;
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    static abort(reason) {
      const s = new AbortSignal(signalToken);
      s.#abort(reason);
      return s;
    }
    static timeout(ms) {
      const s = new AbortSignal(signalToken);
      setTimeout(() => s.#abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(signalToken);
      for (const other of signals) {
        if (other.aborted) {
          s.#abort(other.reason);
          return s;
        }
        other.addEventListener('abort', () => s.#abort(other.reason), { once: true });
      }
      return s;
    }
    #abort(reason) {
      if (this.#aborted) return;
      this.#aborted = true;
      this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      const event = new Event('abort');
      if (typeof this.onabort === 'function') {
        try { this.onabort(event); } catch (e) { emit('error', 'Uncaught error in onabort: ' + errorText(e)); }
      }
      this.dispatchEvent(event);
    }
    static _abortFor(signal, reason) { signal.#abort(reason); }
  }
  const abortSignal = AbortSignal._abortFor;
  delete AbortSignal._abortFor;
  define('AbortSignal', AbortSignal);

  class AbortController {
    #signal = new AbortSignal(signalToken);
    get signal() { return this.#signal; }
    abort(reason) { abortSignal(this.#signal, reason); }
  }
  define('AbortController', AbortController);

  // ---------------------------------------------------------------------------------------------------------
  // Timers, run by the Java event loop through step(); all of them are dropped when the run ends.

  const timerQueue = new Map(); // id -> {id, fn, args, delay, due, repeat, seq, handle}
  let timerSeq = 0;

  class Timeout {
    #id;
    constructor(id) { this.#id = id; }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
    refresh() {
      const t = timerQueue.get(this.#id);
      if (t) t.due = DateNow() + t.delay;
      return this;
    }
    close() { timerQueue.delete(this.#id); return this; }
    [Symbol.toPrimitive]() { return this.#id; }
  }

  function addTimer(fn, delay, args, repeat) {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    delay = Number(delay);
    if (!(delay >= 1 && delay <= 2147483647)) delay = 1;
    const id = ++timerSeq;
    const handle = new Timeout(id);
    timerQueue.set(id, { id, fn, args, delay, due: DateNow() + delay, repeat, seq: id, handle });
    return handle;
  }

  function clearTimer(handle) {
    if (handle == null) return;
    const id = typeof handle === 'object' ? handle[Symbol.toPrimitive]() : Number(handle);
    timerQueue.delete(id);
  }

  define('setTimeout', (fn, delay, ...args) => addTimer(fn, delay, args, false));
  define('setInterval', (fn, delay, ...args) => addTimer(fn, delay, args, true));
  define('setImmediate', (fn, ...args) => addTimer(fn, 0, args, false));
  define('clearTimeout', clearTimer);
  define('clearInterval', clearTimer);
  define('clearImmediate', clearTimer);
  define('queueMicrotask', (fn) => {
    if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
    promiseThen.call(PromiseResolve(), () => fn());
  });

  // ---------------------------------------------------------------------------------------------------------
  // Bytes: Buffer (a Uint8Array, as in Node), with the encodings done in Java (Codecs).

  const ENCODINGS = {
    utf8: 'utf8', 'utf-8': 'utf8', hex: 'hex', base64: 'base64', base64url: 'base64url', latin1: 'latin1',
    binary: 'latin1', ascii: 'ascii', utf16le: 'utf16le', 'utf-16le': 'utf16le', ucs2: 'utf16le', 'ucs-2': 'utf16le',
  };

  function encodingOf(encoding) {
    if (encoding === undefined || encoding === null) return 'utf8';
    const e = ENCODINGS[String(encoding).toLowerCase()];
    if (e === undefined) throw new TypeError('Unknown encoding: ' + encoding);
    return e;
  }

  /** Copies bytes that Java returned (a host ByteBuffer) into a Buffer the bot owns. */
  function fromHost(byteBuffer) {
    const view = new Uint8Array(byteBuffer);
    const out = new Buffer(view.length);
    out.set(view);
    return out;
  }

  function bytesOfString(string, encoding) {
    const e = encodingOf(encoding);
    if (e === 'utf8') {
      const u = utf8Encoder.encode(string);
      return new Buffer(u.buffer, u.byteOffset, u.length);
    }
    return fromHost(hostDecode(string, e));
  }

  function stringOfBytes(view, encoding) {
    const e = encodingOf(encoding);
    if (e === 'utf8') return utf8Decoder.decode(view);
    return hostEncode(view.buffer, view.byteOffset, view.byteLength, e);
  }

  function asBytes(value, what) {
    if (value instanceof Uint8Array) return value;
    if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    throw new TypeError('The "' + what + '" argument must be an instance of Buffer, TypedArray, or DataView.');
  }

  function compareBytes(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
  }

  function checkSize(size) {
    if (typeof size !== 'number' || !(size >= 0) || size > 0x7fffffff) {
      throw new RangeError('The value of "size" is out of range. Received ' + String(size));
    }
    return Math.floor(size);
  }

  // Buffer extends the capped Uint8Array: its allocations are checked, and the uncapped one is not reachable as
  // Object.getPrototypeOf(Buffer).
  class Buffer extends G.Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return bytesOfString(value, encodingOrOffset);
      if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
        const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset);
        return new Buffer(value, offset, length === undefined ? value.byteLength - offset : Number(length));
      }
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        const out = new Buffer(value.length);
        out.set(value);
        return out;
      }
      if (value !== null && typeof value === 'object') {
        if (value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
        if (typeof value.length === 'number') {
          const out = new Buffer(checkSize(value.length));
          for (let i = 0; i < out.length; i++) out[i] = value[i];
          return out;
        }
        const primitive = typeof value.valueOf === 'function' ? value.valueOf() : undefined;
        if (typeof primitive === 'string') return bytesOfString(primitive, encodingOrOffset);
      }
      throw new TypeError('The first argument must be of type string or an instance of Buffer, ArrayBuffer, or '
        + 'Array or an Array-like Object.');
    }
    static alloc(size, fill, encoding) {
      const out = new Buffer(checkSize(size));
      if (fill !== undefined && fill !== 0) out.fill(fill, 0, out.length, encoding);
      return out;
    }
    static allocUnsafe(size) { return new Buffer(checkSize(size)); }
    static allocUnsafeSlow(size) { return new Buffer(checkSize(size)); }
    static byteLength(value, encoding) {
      if (typeof value === 'string') return bytesOfString(value, encoding).length;
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
      throw new TypeError('The "string" argument must be of type string or an instance of Buffer or ArrayBuffer.');
    }
    static concat(list, totalLength) {
      if (!Array.isArray(list)) throw new TypeError('The "list" argument must be an instance of Array.');
      let total = 0;
      for (const item of list) total += asBytes(item, 'list').length;
      if (totalLength !== undefined) total = checkSize(totalLength);
      const out = Buffer.alloc(total);
      let position = 0;
      for (const item of list) {
        if (position >= total) break;
        const bytes = asBytes(item, 'list');
        const n = Math.min(bytes.length, total - position);
        out.set(n === bytes.length ? bytes : bytes.subarray(0, n), position);
        position += n;
      }
      return out;
    }
    static isBuffer(value) { return value instanceof Buffer; }
    static isEncoding(encoding) { return typeof encoding === 'string' && ENCODINGS[encoding.toLowerCase()] !== undefined; }
    static compare(a, b) { return compareBytes(asBytes(a, 'buf1'), asBytes(b, 'buf2')); }

    toString(encoding, start, end) {
      const s = start === undefined ? 0 : Math.max(0, start | 0);
      const e = end === undefined ? this.length : Math.min(this.length, end | 0);
      if (e <= s) return '';
      return stringOfBytes(s === 0 && e === this.length ? this : this.subarray(s, e), encoding);
    }
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
    equals(other) { return compareBytes(this, asBytes(other, 'otherBuffer')) === 0; }
    compare(target) { return compareBytes(this, asBytes(target, 'target')); }
    slice(start, end) { return this.subarray(start, end); } // a view, as in Node
    copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
      const source = this.subarray(sourceStart, sourceEnd);
      const n = Math.max(0, Math.min(source.length, target.length - targetStart));
      target.set(source.subarray(0, n), targetStart);
      return n;
    }
    write(string, offset, length, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; length = undefined; }
      else if (typeof length === 'string') { encoding = length; length = undefined; }
      offset = offset === undefined ? 0 : offset | 0;
      const bytes = bytesOfString(String(string), encoding);
      const n = Math.max(0, Math.min(bytes.length, this.length - offset, length === undefined ? Infinity : length));
      this.set(bytes.subarray(0, n), offset);
      return n;
    }
    fill(value, offset = 0, end = this.length, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; end = this.length; }
      if (typeof value === 'string' || ArrayBuffer.isView(value)) {
        const pattern = typeof value === 'string' ? bytesOfString(value, encoding) : asBytes(value, 'value');
        if (pattern.length === 0) return super.fill(0, offset, end);
        for (let i = offset, j = 0; i < end; i++, j = (j + 1) % pattern.length) this[i] = pattern[j];
        return this;
      }
      return super.fill(typeof value === 'number' ? value & 255 : 0, offset, end);
    }
    indexOf(value, byteOffset = 0, encoding) {
      if (typeof value === 'number') return super.indexOf(value & 255, byteOffset);
      const needle = typeof value === 'string' ? bytesOfString(value, encoding) : asBytes(value, 'value');
      let from = byteOffset < 0 ? Math.max(0, this.length + byteOffset) : byteOffset;
      if (needle.length === 0) return Math.min(from, this.length);
      outer: for (let i = from; i <= this.length - needle.length; i++) {
        for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
        return i;
      }
      return -1;
    }
    includes(value, byteOffset, encoding) { return this.indexOf(value, byteOffset, encoding) !== -1; }
  }
  const INTS = [['UInt8', 1, 'Uint8'], ['Int8', 1, 'Int8'], ['UInt16', 2, 'Uint16'], ['Int16', 2, 'Int16'],
    ['UInt32', 4, 'Uint32'], ['Int32', 4, 'Int32']];
  for (const [name, size, dv] of INTS) {
    for (const endian of size === 1 ? [''] : ['LE', 'BE']) {
      const little = endian === 'LE';
      const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
      Buffer.prototype['read' + name + endian] = function (offset = 0) { return view(this)['get' + dv](offset, little); };
      Buffer.prototype['write' + name + endian] = function (value, offset = 0) {
        view(this)['set' + dv](offset, value, little);
        return offset + size;
      };
      if (name.startsWith('UInt')) {
        Buffer.prototype['readUint' + name.slice(4) + endian] = Buffer.prototype['read' + name + endian];
        Buffer.prototype['writeUint' + name.slice(4) + endian] = Buffer.prototype['write' + name + endian];
      }
    }
  }
  define('Buffer', Buffer);

  define('btoa', (data) => {
    const s = String(data);
    if (/[^\u0000-\u00ff]/.test(s)) throw new DOMException('Invalid character', 'InvalidCharacterError');
    return hostTranscode(s, 'latin1', 'base64');
  });
  define('atob', (data) => {
    let s = String(data).replace(/[\t\n\f\r ]/g, '');
    if (s.length % 4 === 0) s = s.replace(/==?$/, '');
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
      throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
    }
    return hostTranscode(s, 'base64', 'latin1');
  });

  // ---------------------------------------------------------------------------------------------------------
  // crypto: hashes and HMACs computed in Java; constant-time compare and randomness.

  const HASHES = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

  function hashName(algorithm) {
    const lower = String(algorithm).toLowerCase();
    if (HASHES.includes(lower)) return lower; // the usual spelling, without two replace calls per hash
    const name = lower.replace(/^rsa-/, '').replace(/-/g, '');
    if (!HASHES.includes(name)) throw new Error('Digest method not supported: ' + algorithm);
    return name;
  }

  function dataBytes(data, encoding) {
    if (typeof data === 'string') return bytesOfString(data, encoding);
    if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return asBytes(data, 'data');
    throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
  }

  function digestResult(bytes, encoding) {
    return encoding === undefined || encoding === 'buffer' ? bytes : bytes.toString(encoding);
  }

  class Hash {
    #algorithm; #key; #chunks = []; #done = false;
    constructor(algorithm, key) {
      this.#algorithm = hashName(algorithm);
      this.#key = key;
    }
    update(data, encoding) {
      if (this.#done) throw new Error('Digest already called');
      this.#chunks.push(dataBytes(data, encoding));
      return this;
    }
    digest(encoding) {
      if (this.#done) throw new Error('Digest already called');
      this.#done = true;
      const data = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
      this.#chunks = [];
      const out = this.#key === undefined
        ? hostDigest(this.#algorithm, data.buffer, data.byteOffset, data.byteLength)
        : hostHmac(this.#algorithm, this.#key.buffer, this.#key.byteOffset, this.#key.byteLength,
          data.buffer, data.byteOffset, data.byteLength);
      return digestResult(fromHost(out), encoding);
    }
  }

  function randomBytes(size, callback) {
    size = checkSize(size);
    if (size > 64 * 1024 * 1024) throw new RangeError('randomBytes: at most 64 MiB at once');
    const bytes = fromHost(hostRandom(size));
    if (typeof callback === 'function') {
      addTimer(() => callback(null, bytes), 0, [], false);
      return undefined;
    }
    return bytes;
  }

  function getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
      throw new TypeError('The data argument must be an integer-type TypedArray');
    }
    if (array.byteLength > 65536) throw new DOMException('The requested length exceeds 65,536 bytes', 'QuotaExceededError');
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(fromHost(hostRandom(array.byteLength)));
    return array;
  }

  const cryptoModule = Object.freeze({
    createHash: (algorithm) => new Hash(algorithm, undefined),
    createHmac: (algorithm, key) => {
      if (key === undefined || key === null) throw new TypeError('The "key" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
      return new Hash(algorithm, typeof key === 'string' ? bytesOfString(key, 'utf8') : asBytes(key, 'key'));
    },
    timingSafeEqual: (a, b) => {
      const x = asBytes(a, 'buf1');
      const y = asBytes(b, 'buf2');
      if (x.length !== y.length) throw new RangeError('Input buffers must have the same byte length');
      let diff = 0;
      for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
      return diff === 0;
    },
    randomUUID: () => hostUuid(),
    randomBytes,
    getRandomValues,
    getHashes: () => HASHES.slice(),
  });
  define('crypto', Object.freeze({ randomUUID: () => hostUuid(), getRandomValues }));

  // ---------------------------------------------------------------------------------------------------------
  // URLSearchParams and URL (WHATWG shapes; parsing covers http(s), other hierarchical and opaque URLs).

  const paramsState = new WeakMap(); // URLSearchParams -> {list, url}
  const urlState = new WeakMap(); // URL -> fields

  function wellFormed(s) {
    s = String(s);
    return typeof s.toWellFormed === 'function' ? s.toWellFormed() : s;
  }

  function formEncode(s) {
    return encodeURIComponent(wellFormed(s))
      .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
      .replace(/%20/g, '+');
  }

  function percentDecode(s) {
    if (s.indexOf('%') < 0) return s;
    try {
      return decodeURIComponent(s);
    } catch (e) {
      const bytes = utf8Encoder.encode(s);
      const out = new Uint8Array(bytes.length);
      let n = 0;
      const hex = (b) => (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 37 && i + 2 < bytes.length && hex(bytes[i + 1]) && hex(bytes[i + 2])) {
          out[n++] = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
          i += 2;
        } else {
          out[n++] = bytes[i];
        }
      }
      return utf8Decoder.decode(out.subarray(0, n));
    }
  }

  function parseQuery(query) {
    const list = [];
    for (const part of query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      list.push([percentDecode(name.replace(/\+/g, ' ')), percentDecode(value.replace(/\+/g, ' '))]);
    }
    return list;
  }

  class URLSearchParams {
    constructor(init) {
      const state = { list: [], url: null };
      paramsState.set(this, state);
      if (init === undefined || init === null) return;
      if (init instanceof URLSearchParams) {
        state.list = paramsState.get(init).list.map(([k, v]) => [k, v]);
      } else if (typeof init === 'object' || typeof init === 'function') {
        if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const p = Array.from(pair);
            if (p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            state.list.push([wellFormed(p[0]), wellFormed(p[1])]);
          }
        } else {
          for (const key of Object.keys(init)) state.list.push([wellFormed(key), wellFormed(init[key])]);
        }
      } else {
        const s = String(init);
        state.list = parseQuery(s.startsWith('?') ? s.slice(1) : s);
      }
    }
    #update() {
      const state = paramsState.get(this);
      if (state.url !== null) {
        const text = this.toString();
        urlState.get(state.url).query = text === '' ? null : text;
      }
    }
    get size() { return paramsState.get(this).list.length; }
    append(name, value) { paramsState.get(this).list.push([wellFormed(name), wellFormed(value)]); this.#update(); }
    delete(name, value) {
      const state = paramsState.get(this);
      name = wellFormed(name);
      state.list = state.list.filter(([k, v]) => !(k === name && (value === undefined || v === wellFormed(value))));
      this.#update();
    }
    get(name) {
      name = wellFormed(name);
      const found = paramsState.get(this).list.find(([k]) => k === name);
      return found === undefined ? null : found[1];
    }
    getAll(name) {
      name = wellFormed(name);
      return paramsState.get(this).list.filter(([k]) => k === name).map(([, v]) => v);
    }
    has(name, value) {
      name = wellFormed(name);
      return paramsState.get(this).list.some(([k, v]) => k === name && (value === undefined || v === wellFormed(value)));
    }
    set(name, value) {
      const state = paramsState.get(this);
      name = wellFormed(name);
      value = wellFormed(value);
      const index = state.list.findIndex(([k]) => k === name);
      if (index < 0) {
        state.list.push([name, value]);
      } else {
        state.list[index][1] = value;
        state.list = state.list.filter(([k], i) => i <= index || k !== name);
      }
      this.#update();
    }
    sort() {
      const state = paramsState.get(this);
      state.list = state.list.map((pair, i) => [pair, i])
        .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
        .map(([pair]) => pair);
      this.#update();
    }
    forEach(callback, thisArg) {
      for (const [k, v] of paramsState.get(this).list.slice()) callback.call(thisArg, v, k, this);
    }
    *entries() { for (const [k, v] of paramsState.get(this).list.slice()) yield [k, v]; }
    *keys() { for (const [k] of paramsState.get(this).list.slice()) yield k; }
    *values() { for (const [, v] of paramsState.get(this).list.slice()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return paramsState.get(this).list.map(([k, v]) => formEncode(k) + '=' + formEncode(v)).join('&'); }
    get [Symbol.toStringTag]() { return 'URLSearchParams'; }
  }
  define('URLSearchParams', URLSearchParams);

  const SPECIAL_PORTS = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };

  function encodeSet(s, pattern) {
    return wellFormed(s).replace(pattern, (c) => {
      const bytes = utf8Encoder.encode(c);
      let out = '';
      for (const b of bytes) out += '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
      return out;
    });
  }
  // Characters percent-encoded per component (WHATWG's encode sets, for what a bot is likely to write).
  const PATH_ENCODE = /[\u0000-\u0020"#<>?`{}\u007f-\uffff]/g;
  const QUERY_ENCODE = /[\u0000-\u0020"#<>\u007f-\uffff]/g;
  const SPECIAL_QUERY_ENCODE = /[\u0000-\u0020"#'<>\u007f-\uffff]/g;
  const FRAGMENT_ENCODE = /[\u0000-\u0020"<>`\u007f-\uffff]/g;
  const USERINFO_ENCODE = /[\u0000-\u0020"#<>?`{}/:;=@[\\\]^|\u007f-\uffff]/g;

  function invalidUrl(input) {
    const e = new TypeError('Invalid URL: ' + input);
    e.code = 'ERR_INVALID_URL';
    return e;
  }

  function removeDotSegments(path) {
    const out = [];
    const segments = path.split('/');
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const last = i === segments.length - 1;
      if (s === '.' || s.toLowerCase() === '%2e') {
        if (last) out.push('');
      } else if (s === '..' || /^(\.|%2e){2}$/i.test(s)) {
        if (out.length > 1) out.pop();
        if (last) out.push('');
      } else {
        out.push(s);
      }
    }
    const joined = out.join('/');
    return joined.startsWith('/') ? joined : '/' + joined;
  }

  function parseHost(text, special, input) {
    let host = text;
    let port = '';
    if (host.startsWith('[')) {
      const close = host.indexOf(']');
      if (close < 0) throw invalidUrl(input);
      const rest = host.slice(close + 1);
      host = host.slice(0, close + 1).toLowerCase();
      if (rest !== '') {
        if (!rest.startsWith(':')) throw invalidUrl(input);
        port = rest.slice(1);
      }
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0) {
        port = host.slice(colon + 1);
        host = host.slice(0, colon);
      }
      if (special) host = percentDecode(host).toLowerCase();
      if (/[\u0000-\u0020#%/:<>?@[\\\]^|]/.test(host)) throw invalidUrl(input);
    }
    if (port !== '') {
      if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw invalidUrl(input);
      port = String(Number(port));
    }
    return { host, port };
  }

  function splitTail(rest) {
    let hash = null;
    let query = null;
    const h = rest.indexOf('#');
    if (h >= 0) {
      hash = rest.slice(h + 1);
      rest = rest.slice(0, h);
    }
    const q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
    return { path: rest, query, hash };
  }

  function finishUrl(state, path, query, hash) {
    const special = hasOwn.call(SPECIAL_PORTS, state.protocol);
    if (state.opaque) {
      state.pathname = encodeSet(path, /[\u0000-\u001f\u007f-\uffff]/g);
    } else {
      if (special) path = path.replace(/\\/g, '/');
      state.pathname = encodeSet(removeDotSegments(path === '' ? '/' : path), PATH_ENCODE).replace(/%25([0-9A-Fa-f]{2})/g, '%$1');
    }
    state.query = query === null ? null : encodeSet(query, special ? SPECIAL_QUERY_ENCODE : QUERY_ENCODE);
    state.hash = hash === null ? null : encodeSet(hash, FRAGMENT_ENCODE);
    return state;
  }

  function parseAbsolute(input, protocol, rest) {
    const special = hasOwn.call(SPECIAL_PORTS, protocol);
    const state = { protocol, username: '', password: '', host: null, port: '', pathname: '', query: null, hash: null, opaque: false };
    if (special || rest.startsWith('//')) {
      const body = special ? rest.replace(/^[/\\]*/, '') : rest.slice(2);
      const end = body.search(special ? /[/\\?#]/ : /[/?#]/);
      const authority = end < 0 ? body : body.slice(0, end);
      const tail = end < 0 ? '' : body.slice(end);
      const at = authority.lastIndexOf('@');
      if (at >= 0) {
        const userinfo = authority.slice(0, at);
        const colon = userinfo.indexOf(':');
        state.username = encodeSet(colon < 0 ? userinfo : userinfo.slice(0, colon), USERINFO_ENCODE);
        state.password = colon < 0 ? '' : encodeSet(userinfo.slice(colon + 1), USERINFO_ENCODE);
      }
      const { host, port } = parseHost(at >= 0 ? authority.slice(at + 1) : authority, special, input);
      if (host === '' && special && protocol !== 'file:') throw invalidUrl(input);
      state.host = host;
      state.port = port === SPECIAL_PORTS[protocol] ? '' : port;
      const { path, query, hash } = splitTail(tail);
      return finishUrl(state, path, query, hash);
    }
    const { path, query, hash } = splitTail(rest);
    if (path.startsWith('/')) return finishUrl(state, path, query, hash);
    state.opaque = true;
    return finishUrl(state, path, query, hash);
  }

  function parseUrl(input, base) {
    const text = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):([\s\S]*)$/.exec(text);
    if (m !== null) {
      const protocol = m[1].toLowerCase() + ':';
      if (base !== null && protocol === base.protocol && hasOwn.call(SPECIAL_PORTS, protocol) && !/^[/\\]/.test(m[2])) {
        return resolve(base, m[2], text); // "http:foo" against an http base is relative, as in browsers
      }
      return parseAbsolute(text, protocol, m[2]);
    }
    if (base === null) throw invalidUrl(text);
    return resolve(base, text, text);
  }

  function resolve(base, rel, input) {
    const special = hasOwn.call(SPECIAL_PORTS, base.protocol);
    if (base.opaque) {
      if (!rel.startsWith('#')) throw invalidUrl(input);
      return finishUrl({ ...base }, base.pathname, base.query, rel.slice(1));
    }
    if (/^(\/\/|\\\\)/.test(rel) || (special && /^[/\\]{2}/.test(rel))) return parseAbsolute(input, base.protocol, rel);
    const state = { ...base };
    const { path, query, hash } = splitTail(rel);
    if (path === '') {
      // '' is the base without its fragment, '?q' replaces the query, '#f' only the fragment
      if (query !== null) state.query = encodeSet(query, special ? SPECIAL_QUERY_ENCODE : QUERY_ENCODE);
      state.hash = hash === null ? null : encodeSet(hash, FRAGMENT_ENCODE);
      return state;
    }
    const absolute = path.startsWith('/') || (special && path.startsWith('\\'));
    const merged = absolute ? path : base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1) + path;
    return finishUrl(state, merged, query, hash);
  }

  class URL {
    constructor(url, base) {
      const baseState = base === undefined ? null : urlState.get(base instanceof URL ? base : new URL(base));
      urlState.set(this, parseUrl(url, baseState));
      const params = new URLSearchParams(urlState.get(this).query || '');
      paramsState.get(params).url = this;
      urlState.get(this).params = params;
    }
    static canParse(url, base) {
      try {
        new URL(url, base);
        return true;
      } catch (e) {
        return false;
      }
    }
    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch (e) {
        return null;
      }
    }
    #s() { return urlState.get(this); }
    #reparams() { paramsState.get(this.#s().params).list = parseQuery(this.#s().query || ''); }
    get href() {
      const s = this.#s();
      let out = s.protocol;
      if (s.host !== null) {
        out += '//';
        if (s.username !== '' || s.password !== '') out += s.username + (s.password !== '' ? ':' + s.password : '') + '@';
        out += this.host;
      }
      return out + s.pathname + this.search + this.hash;
    }
    set href(value) {
      const params = this.#s().params;
      const next = parseUrl(value, null);
      next.params = params;
      urlState.set(this, next);
      this.#reparams();
    }
    get origin() {
      const s = this.#s();
      return hasOwn.call(SPECIAL_PORTS, s.protocol) && s.protocol !== 'file:' ? s.protocol + '//' + this.host : 'null';
    }
    get protocol() { return this.#s().protocol; }
    set protocol(value) {
      const p = String(value).replace(/:.*$/, '').toLowerCase() + ':';
      const s = this.#s();
      if (hasOwn.call(SPECIAL_PORTS, p) === hasOwn.call(SPECIAL_PORTS, s.protocol) && /^[a-z][a-z0-9+.-]*:$/.test(p)) {
        s.protocol = p;
        if (s.port === SPECIAL_PORTS[p]) s.port = '';
      }
    }
    get username() { return this.#s().username; }
    set username(value) { if (this.#s().host) this.#s().username = encodeSet(value, USERINFO_ENCODE); }
    get password() { return this.#s().password; }
    set password(value) { if (this.#s().host) this.#s().password = encodeSet(value, USERINFO_ENCODE); }
    get host() {
      const s = this.#s();
      return s.host === null ? '' : s.host + (s.port !== '' ? ':' + s.port : '');
    }
    set host(value) {
      const s = this.#s();
      if (s.opaque) return;
      try {
        const { host, port } = parseHost(String(value), hasOwn.call(SPECIAL_PORTS, s.protocol), value);
        s.host = host;
        if (port !== '') s.port = port === SPECIAL_PORTS[s.protocol] ? '' : port;
      } catch (e) { /* ignored, as browsers do */ }
    }
    get hostname() { return this.#s().host === null ? '' : this.#s().host; }
    set hostname(value) {
      const s = this.#s();
      if (s.opaque) return;
      try {
        s.host = parseHost(String(value).replace(/:.*$/, ''), hasOwn.call(SPECIAL_PORTS, s.protocol), value).host;
      } catch (e) { /* ignored */ }
    }
    get port() { return this.#s().port; }
    set port(value) {
      const s = this.#s();
      const digits = String(value).match(/^[0-9]*/)[0];
      if (digits === '' && String(value) !== '') return;
      if (digits !== '' && Number(digits) > 65535) return;
      s.port = digits === '' || String(Number(digits)) === SPECIAL_PORTS[s.protocol] ? '' : String(Number(digits));
    }
    get pathname() { return this.#s().pathname; }
    set pathname(value) {
      const s = this.#s();
      if (s.opaque) return;
      const special = hasOwn.call(SPECIAL_PORTS, s.protocol);
      let path = String(value);
      if (special) path = path.replace(/\\/g, '/');
      if (!path.startsWith('/')) path = '/' + path;
      s.pathname = encodeSet(removeDotSegments(path), PATH_ENCODE).replace(/%25([0-9A-Fa-f]{2})/g, '%$1');
    }
    get search() {
      const q = this.#s().query;
      return q === null || q === '' ? '' : '?' + q;
    }
    set search(value) {
      const s = this.#s();
      let q = String(value);
      if (q.startsWith('?')) q = q.slice(1);
      s.query = q === '' ? null : encodeSet(q, hasOwn.call(SPECIAL_PORTS, s.protocol) ? SPECIAL_QUERY_ENCODE : QUERY_ENCODE);
      this.#reparams();
    }
    get searchParams() { return this.#s().params; }
    get hash() {
      const h = this.#s().hash;
      return h === null || h === '' ? '' : '#' + h;
    }
    set hash(value) {
      let h = String(value);
      if (h.startsWith('#')) h = h.slice(1);
      this.#s().hash = h === '' ? null : encodeSet(h, FRAGMENT_ENCODE);
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
    get [Symbol.toStringTag]() { return 'URL'; }
  }
  define('URL', URL);

  // ---------------------------------------------------------------------------------------------------------
  // structuredClone: the HTML algorithm's common cases (cycles kept; functions and symbols refused).

  function structuredCloneImpl(value, memory) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new DOMException(String(typeof value === 'function' ? value : value.toString()) + ' could not be cloned.', 'DataCloneError');
    }
    if (typeof value !== 'object' || value === null) return value;
    if (memory.has(value)) return memory.get(value);
    let out;
    if (value instanceof Date) out = new Date(value.getTime());
    else if (value instanceof RegExp) out = new RegExp(value.source, value.flags);
    else if (value instanceof Boolean || value instanceof Number || value instanceof String) out = Object(value.valueOf());
    else if (value instanceof ArrayBuffer) out = value.slice(0);
    else if (ArrayBuffer.isView(value)) {
      const buffer = structuredCloneImpl(value.buffer, memory);
      out = value instanceof DataView
        ? new DataView(buffer, value.byteOffset, value.byteLength)
        : new (Object.getPrototypeOf(Object.getPrototypeOf(value)) === Uint8Array.prototype ? Uint8Array : value.constructor)(
          buffer, value.byteOffset, value.length);
    } else if (value instanceof Map) {
      out = new Map();
      memory.set(value, out);
      for (const [k, v] of value) out.set(structuredCloneImpl(k, memory), structuredCloneImpl(v, memory));
      return out;
    } else if (value instanceof Set) {
      out = new Set();
      memory.set(value, out);
      for (const v of value) out.add(structuredCloneImpl(v, memory));
      return out;
    } else if (value instanceof Error) {
      const C = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[value.name] || Error;
      out = new C(value.message);
      if (typeof value.stack === 'string') out.stack = value.stack;
    } else if (Array.isArray(value)) {
      out = new Array(value.length);
      memory.set(value, out);
      for (const key of Object.keys(value)) out[key] = structuredCloneImpl(value[key], memory);
      return out;
    } else if (value instanceof Promise || value instanceof WeakMap || value instanceof WeakSet) {
      throw new DOMException(Object.prototype.toString.call(value) + ' could not be cloned.', 'DataCloneError');
    } else {
      out = {};
      memory.set(value, out);
      for (const key of Object.keys(value)) out[key] = structuredCloneImpl(value[key], memory);
      return out;
    }
    memory.set(value, out);
    return out;
  }
  define('structuredClone', (value) => structuredCloneImpl(value, new Map()));

  // ---------------------------------------------------------------------------------------------------------
  // require, process, fetch and other names bots expect.

  const bufferModule = Object.freeze({
    Buffer, atob: G.atob, btoa: G.btoa, kMaxLength: 0x7fffffff, constants: Object.freeze({ MAX_LENGTH: 0x7fffffff }),
  });
  const BUILTINS = { crypto: cryptoModule, 'node:crypto': cryptoModule, buffer: bufferModule, 'node:buffer': bufferModule };

  function require(name) {
    if (typeof name === 'string' && hasOwn.call(BUILTINS, name)) return BUILTINS[name];
    const e = new Error("Cannot find module '" + String(name) + "' (only crypto and buffer are available to bots)");
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  define('require', require);
  // For the ESM shims of ShimModules; non-writable so a bot cannot swap what its own imports receive.
  ObjectDefineProperty(G, Symbol.for('fhirhook.require'), { value: require, writable: false, configurable: false, enumerable: false });

  // V8's Error.captureStackTrace, which many Node SDKs call in their error classes (the real one needs
  // js.stack-trace-api, an experimental option SandboxPolicy.CONSTRAINED refuses): gives the target a stack.
  if (typeof Error.captureStackTrace !== 'function') {
    ObjectDefineProperty(Error, 'captureStackTrace', {
      value: function captureStackTrace(target) {
        if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
          throw new TypeError('Invalid argument');
        }
        ObjectDefineProperty(target, 'stack', { value: new Error().stack, writable: true, configurable: true });
      },
      writable: true, configurable: true, enumerable: false,
    });
  }

  define('process', { env: {} });
  define('global', G);
  define('fetch', function fetch() {
    return PromiseReject(new TypeError('fetch is not available: bots have no network access in fhirhook'));
  });
  define('ContentType', Object.freeze({
    JSON: 'application/json', FHIR_JSON: 'application/fhir+json', JSON_PATCH: 'application/json-patch+json',
    FORM_URL_ENCODED: 'application/x-www-form-urlencoded', TEXT: 'text/plain', HTML: 'text/html', XML: 'text/xml',
    CSV: 'text/csv', HL7_V2: 'x-application/hl7-v2+er7', PDF: 'application/pdf', PNG: 'image/png',
    JPEG: 'image/jpeg', OCTET_STREAM: 'application/octet-stream', SCIM_JSON: 'application/scim+json',
  }));

  // ---------------------------------------------------------------------------------------------------------
  // The medplum object: each call goes to the run's HostBridge synchronously, answered as a settled Promise.

  class OperationOutcomeError extends Error {
    constructor(message, outcome) {
      super(message);
      this.name = 'OperationOutcomeError';
      this.outcome = outcome;
    }
  }

  function parseJson(text) {
    return text === null || text === undefined || text === '' ? undefined : JSONparse(text);
  }

  function request(method, args) {
    let json;
    try {
      json = stringify(args);
    } catch (e) {
      return PromiseReject(e);
    }
    const answer = hostCall(method, json);
    if (answer[0] === true) {
      try {
        return PromiseResolve(parseJson(answer[1]));
      } catch (e) {
        return PromiseReject(e);
      }
    }
    let outcome;
    try {
      outcome = parseJson(answer[2]);
    } catch (e) {
      outcome = undefined;
    }
    return PromiseReject(new OperationOutcomeError(answer[1] || 'medplum.' + method + ' failed', outcome));
  }

  function badRequest(message) {
    return PromiseReject(new OperationOutcomeError(message, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', details: { text: message } }],
    }));
  }

  /** Any Medplum query form (string, URLSearchParams, record, pairs) as a form-encoded string without '?'. */
  function queryString(query) {
    if (query === undefined || query === null) return '';
    if (typeof query === 'string') return query.startsWith('?') ? query.slice(1) : query;
    if (query instanceof URLSearchParams) return query.toString();
    const params = new URLSearchParams();
    const pairs = Array.isArray(query) ? query : Object.entries(query);
    for (const [k, v] of pairs) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) params.append(k, item);
      else params.append(k, v);
    }
    return params.toString();
  }

  function withCount(query, count) {
    const params = new URLSearchParams(queryString(query));
    params.set('_count', String(count));
    return params.toString();
  }

  function base64OfData(data) {
    if (typeof data === 'string') return bytesOfString(data, 'utf8').toString('base64');
    if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return Buffer.from(asBytes(data, 'data')).toString('base64');
    throw new TypeError('createBinary: data must be a string, Buffer, Uint8Array or ArrayBuffer');
  }

  function binaryRequest(data, filename, contentType) {
    const options = data !== null && typeof data === 'object' && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer)
      && 'data' in data ? data : { data, filename, contentType };
    let binary;
    try {
      binary = { resourceType: 'Binary', contentType: options.contentType, data: base64OfData(options.data) };
    } catch (e) {
      return { error: PromiseReject(e) };
    }
    if (options.securityContext !== undefined) binary.securityContext = options.securityContext;
    return { binary, filename: options.filename === undefined ? null : options.filename, contentType: options.contentType };
  }

  const medplum = {
    createResource: (resource) => request('createResource', [resource]),
    createResourceIfNoneExist: (resource, query) => request('createResourceIfNoneExist', [resource, queryString(query)]),
    readResource: (resourceType, id) => request('readResource', [resourceType, id]),
    readReference: (reference) => {
      const ref = reference && reference.reference;
      if (typeof ref !== 'string' || ref === '') return badRequest('Call to readReference without reference');
      const [resourceType, id] = ref.split('/');
      if (!resourceType || !id) return badRequest('Invalid reference: ' + ref);
      return request('readResource', [resourceType, id]);
    },
    updateResource: (resource) => request('updateResource', [resource]),
    upsertResource: (resource, query) => request('upsertResource', [resource, queryString(query)]),
    patchResource: (resourceType, id, operations) => request('patchResource', [resourceType, id, operations]),
    deleteResource: (resourceType, id) => request('deleteResource', [resourceType, id]),
    search: (resourceType, query) => request('search', [resourceType, queryString(query)]),
    searchOne: (resourceType, query) => promiseThen.call(request('search', [resourceType, withCount(query, 1)]),
      (bundle) => (bundle && Array.isArray(bundle.entry) && bundle.entry.length > 0 ? bundle.entry[0].resource : undefined)),
    searchResources: (resourceType, query) => promiseThen.call(request('search', [resourceType, queryString(query)]), (bundle) => {
      const resources = bundle && Array.isArray(bundle.entry) ? bundle.entry.map((e) => e.resource) : [];
      ObjectDefineProperty(resources, 'bundle', { value: bundle, enumerable: false, writable: true, configurable: true });
      return resources;
    }),
    executeBot: (idOrIdentifier, body, contentType) =>
      request('executeBot', [idOrIdentifier, body === undefined ? null : body, contentType === undefined ? null : contentType]),
    createBinary: (data, filename, contentType) => {
      const r = binaryRequest(data, filename, contentType);
      return r.error || request('createBinary', [r.binary, r.filename]);
    },
    createAttachment: (data, filename, contentType) => {
      const r = binaryRequest(data, filename, contentType);
      if (r.error) return r.error;
      return promiseThen.call(request('createBinary', [r.binary, r.filename]), (binary) => {
        const attachment = { contentType: (binary && binary.contentType) || r.contentType };
        attachment.url = binary && binary.url ? binary.url : 'Binary/' + (binary && binary.id);
        if (r.filename !== null) attachment.title = r.filename;
        return attachment;
      });
    },
  };

  // ---------------------------------------------------------------------------------------------------------
  // Failures as BotContext reports them: [kind, message] with kind 'error' or 'stack'.

  function errorMessage(e) {
    try {
      if (typeof e === 'string') return e;
      if (e instanceof Error) return e.message !== '' ? String(e.message) : String(e.name);
      if (e !== null && typeof e === 'object') {
        if (e.resourceType === 'OperationOutcome') {
          const issue = Array.isArray(e.issue) ? e.issue[0] : undefined;
          const text = issue && ((issue.details && issue.details.text) || issue.diagnostics || issue.code);
          return text ? String(text) : 'OperationOutcome';
        }
        if (typeof e.message === 'string') return e.message;
        return safeJson(e);
      }
      return String(e);
    } catch (e2) {
      return 'Unknown error';
    }
  }

  function isStackOverflow(e) {
    try {
      return e instanceof RangeError && /Maximum call stack size exceeded/.test(e.message);
    } catch (e2) {
      return false;
    }
  }

  function describe(e) {
    return [isStackOverflow(e) ? 'stack' : 'error', errorMessage(e)];
  }

  /** As Medplum's vmcontext: "Unhandled error: <message>\n<stack>", then "Error <message>". */
  function logUnhandled(e) {
    let line;
    if (e instanceof Error) line = 'Unhandled error: ' + errorMessage(e) + '\n' + errorText(e);
    else if (e !== null && typeof e === 'object') line = 'Unhandled error: ' + safeJson(e, 2);
    else line = 'Unhandled error: ' + String(e);
    emit('error', line);
    emit('error', 'Error ' + errorMessage(e));
  }

  // ---------------------------------------------------------------------------------------------------------
  // The runner.

  let handler = null;

  function pickHandler(exported) {
    try {
      if (exported !== null && (typeof exported === 'object' || typeof exported === 'function')) {
        if (typeof exported.handler === 'function') return exported.handler;
      }
    } catch (e) { /* an export still in its temporal dead zone */ }
    return null;
  }

  const NO_HANDLER = 'No handler exported: the code must export an async function named handler '
    + '(exports.handler = async (medplum, event) => { ... } or export async function handler(medplum, event) { ... })';

  function settle(state, valueOrError) {
    if (run === null || run.state !== PENDING) return;
    run.state = state;
    if (state === FULFILLED) run.value = valueOrError;
    else {
      run.error = valueOrError;
      logUnhandled(valueOrError);
    }
  }
  const resolveRun = (v) => settle(FULFILLED, v);
  const rejectRun = (e) => settle(REJECTED, e);

  return {
    /** Before a module is loaded, so its top-level code may log. */
    open(maxLogChars, maxResultChars, maxBufferBytes) {
      openRun(maxLogChars, maxResultChars, maxBufferBytes);
    },

    /** CommonJS: runs the wrapping function; null when a handler is exported, else [kind, message]. */
    loadCommonJs(wrapper, filename) {
      const module = { exports: {}, id: '.', filename, loaded: false, children: [], paths: [] };
      const exports = module.exports;
      try {
        wrapper.call(exports, exports, require, module, filename, '/');
      } catch (e) {
        logUnhandled(e);
        return describe(e);
      }
      module.loaded = true;
      handler = pickHandler(module.exports) || pickHandler(exports);
      if (handler === null) {
        emit('error', 'Error ' + NO_HANDLER);
        return ['error', NO_HANDLER];
      }
      return null;
    },

    /** ESM: takes the evaluated module's namespace; `handler`, or a default export that is or has one. */
    loadEsm(namespace) {
      handler = pickHandler(namespace);
      if (handler === null) {
        let fallback;
        try {
          fallback = namespace.default;
        } catch (e) {
          fallback = undefined;
        }
        handler = typeof fallback === 'function' ? fallback : pickHandler(fallback);
      }
      if (handler === null) {
        emit('error', 'Error ' + NO_HANDLER);
        return ['error', NO_HANDLER];
      }
      return null;
    },

    /** Calls the handler; the Promise settles in the microtasks that run when this returns to Java. */
    start(eventJson, jsonBody, maxLogChars, maxResultChars, maxBufferBytes) {
      openRun(maxLogChars, maxResultChars, maxBufferBytes);
      let event;
      try {
        event = JSONparse(eventJson);
        if (jsonBody !== null) { // BotEvent.jsonBody: parsed here, once
          event.input = JSONparse(jsonBody);
          event.rawBody = jsonBody;
        }
      } catch (e) {
        rejectRun(e);
        return;
      }
      try {
        define('event', event); // Medplum's vmcontext has `event` as a global too
      } catch (e) { /* a bot made it non-configurable; it still gets the argument */ }
      let result;
      try {
        result = handler(medplum, event);
      } catch (e) {
        rejectRun(e);
        return;
      }
      try {
        if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
          promiseThen.call(PromiseResolve(result), resolveRun, rejectRun);
        } else {
          resolveRun(result);
        }
      } catch (e) {
        rejectRun(e);
      }
    },

    /**
     * -1: settled; -2: pending with nothing left that could settle it; otherwise the milliseconds until the
     * next timer (0: one ran, call again after the microtasks).
     */
    step() {
      if (run.state !== PENDING) return -1;
      if (timerQueue.size === 0) return -2;
      let next = null;
      for (const t of timerQueue.values()) {
        if (next === null || t.due < next.due || (t.due === next.due && t.seq < next.seq)) next = t;
      }
      const wait = next.due - DateNow();
      if (wait > 0) return wait;
      if (next.repeat) {
        next.due = DateNow() + next.delay;
        next.seq = ++timerSeq;
      } else {
        timerQueue.delete(next.id);
      }
      try {
        next.fn.apply(next.handle, next.args);
      } catch (e) {
        rejectRun(e); // an uncaught error in a timer ends the run, as it would end a Lambda invocation
      }
      return 0;
    },

    /**
     * The run's result as [kind, payload]: 'undefined', 'text', 'number', 'json' (JSON text), or a failure:
     * 'result', 'error', 'stack' with a message. Drops the run's timers and the event.
     */
    finish() {
      try {
        if (run.state === REJECTED) return describe(run.error);
        const v = run.value;
        switch (typeof v) {
          case 'undefined':
          case 'function':
          case 'symbol':
            return ['undefined'];
          case 'string':
            return v.length > run.maxResultChars ? ['result', tooLarge(v.length)] : ['text', v];
          case 'number':
          case 'bigint':
            return ['number', String(v)];
          default: {
            let json;
            try {
              json = stringify(v);
            } catch (e) {
              return ['result', 'The return value cannot be serialised as JSON: ' + errorMessage(e)];
            }
            if (json === undefined) return ['undefined'];
            return json.length > run.maxResultChars ? ['result', tooLarge(json.length)] : ['json', json];
          }
        }
      } finally {
        timerQueue.clear();
        timeLabels.clear();
        counts.clear();
        try {
          delete G.event;
        } catch (e) { /* non-configurable: left as the bot made it */ }
        run = null;
      }
    },
  };

  function tooLarge(length) {
    return 'The return value is too large: ' + length + ' characters, at most ' + run.maxResultChars;
  }
});
