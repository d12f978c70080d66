/**
 * Allocation inside the wasm backend's one shared WebAssembly.Memory: packed weights live there for as
 * long as their handle object does (a FinalizationRegistry gives the bytes back), and per-call operands
 * are copied into reusable scratch blocks. First-fit over a sorted free list with coalescing: the
 * number of blocks is small (one per weight matrix plus a few scratch blocks).
 */
const PAGE = 65536;
const ALIGN = 64;

export class SharedHeap {
  private readonly free: { offset: number; size: number }[] = [];
  private end: number;
  private cachedBytes = -1;
  private u8View = new Uint8Array(0);
  private i8View = new Int8Array(0);
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);

  /** `base`: first byte after the module's static data (its heapBase export). */
  constructor(readonly memory: WebAssembly.Memory, base: number) {
    this.end = Math.ceil(base / ALIGN) * ALIGN;
  }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      if (block.size < size) continue;
      const offset = block.offset;
      if (block.size === size) this.free.splice(i, 1);
      else {
        block.offset += size;
        block.size -= size;
      }
      return offset;
    }
    const offset = this.end;
    this.end += size;
    const have = this.memory.buffer.byteLength;
    if (this.end > have) {
      const pages = Math.ceil((this.end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        const wanted = this.end;
        this.end = offset;
        throw new RangeError(`wasm backend: out of memory (needs ${wanted} bytes; WebAssembly memory is limited to 4 GiB)`);
      }
    }
    return offset;
  }

  release(offset: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let i = 0;
    while (i < this.free.length && this.free[i]!.offset < offset) i++;
    this.free.splice(i, 0, { offset, size });
    // Merge with the next, then the previous neighbour.
    const cur = this.free[i]!;
    const next = this.free[i + 1];
    if (next && cur.offset + cur.size === next.offset) {
      cur.size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.offset + prev.size === cur.offset) {
      prev.size += cur.size;
      this.free.splice(i, 1);
    }
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer.byteLength === this.cachedBytes) return;
    this.cachedBytes = buffer.byteLength;
    this.u8View = new Uint8Array(buffer);
    this.i8View = new Int8Array(buffer);
    this.f32View = new Float32Array(buffer);
    this.i32View = new Int32Array(buffer);
  }

  get u8(): Uint8Array {
    this.refresh();
    return this.u8View;
  }
  get i8(): Int8Array {
    this.refresh();
    return this.i8View;
  }
  get f32(): Float32Array {
    this.refresh();
    return this.f32View;
  }
  get i32(): Int32Array {
    this.refresh();
    return this.i32View;
  }
}

/** A reusable block that grows to the largest request (operands copied in and results copied out). */
export class Scratch {
  private offset = 0;
  private size = 0;

  constructor(private readonly heap: SharedHeap) {}

  /** Byte offset of at least `bytes` bytes (64-byte aligned; contents undefined). */
  take(bytes: number): number {
    if (bytes > this.size) {
      if (this.size > 0) this.heap.release(this.offset, this.size);
      this.size = Math.max(bytes, Math.ceil(this.size * 1.5));
      this.offset = this.heap.alloc(this.size);
    }
    return this.offset;
  }
}
