/**
 * subword-nmt `apply_bpe.py` (commit 48ba99e, codes version 0.2, separator `@@`, all merges, no vocabulary
 * filter, no glossaries): spec gnmt-inference.md §2.4.
 *
 *   const bpe = Bpe.fromFile('fixtures/multi30k-gnmt256/bpe.codes');
 *   bpe.apply('Two young , White males are outside near many bushes .');
 *   // → "Two young , White males are outside near many bus@@ hes ."   (depends on the codes)
 */
import { readFileSync } from 'node:fs';
import { QnmtError } from '../errors.js';

/** Words up to this many characters use the direct transcription of `encode`; longer ones the linked list. */
const DIRECT_MAX = 64;
const isEdgeWs = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\r';

/** Python `s.strip('\r\n ')` as [start, end) (loops: a regex `[\r\n ]*$` is quadratic on inner space runs). */
function edgeTrim(s: string): [number, number] {
  let start = 0;
  let end = s.length;
  while (start < end && isEdgeWs(s[start])) start++;
  while (end > start && isEdgeWs(s[end - 1])) end--;
  return [start, end];
}

export class Bpe {
  /** Merge rank of a pair: ranks.get(left).get(right) (nested maps avoid building a key string per lookup). */
  private readonly ranks: Map<string, Map<string, number>>;
  private readonly cache = new Map<string, readonly string[]>();
  readonly separator = '@@';
  /** Number of merge lines read (duplicates included). */
  readonly merges: number;

  /** Words up to this many characters use `mergeDirect`, longer ones `mergeLinked` (same result; tests vary it). */
  directMax = DIRECT_MAX;

  private constructor(ranks: Map<string, Map<string, number>>, merges: number) {
    this.ranks = ranks;
    this.merges = merges;
  }

  /** Read a codes file (`#version: 0.2` header, then one `A B` pair per line). */
  static fromFile(path: string): Bpe {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new QnmtError('bpe/codes-unreadable', `cannot read BPE codes file ${path}: ${(e as Error).message}`);
    }
    return Bpe.fromCodes(text, path);
  }

  /** Parse the text of a codes file; `source` names it in error messages. */
  static fromCodes(text: string, source = 'BPE codes'): Bpe {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    let start = 0;
    if (lines[0]?.startsWith('#version:')) {
      const version = lines[0].trim().split(/\s+/).at(-1)!.replace(/(\.0+)*$/, '');
      if (version !== '0.2') {
        throw new QnmtError(
          'bpe/codes-version',
          `${source} line 1: codes version ${version} is not supported; expected '#version: 0.2' (subword-nmt ≥ 0.2).`,
        );
      }
      start = 1;
    } else {
      throw new QnmtError(
        'bpe/codes-version',
        `${source} line 1: expected the header '#version: 0.2', found ${JSON.stringify(lines[0]?.slice(0, 40) ?? '')}; ` +
          'version 0.1 codes (no header) are not supported.',
      );
    }
    const ranks = new Map<string, Map<string, number>>();
    for (let i = start; i < lines.length; i++) {
      const [a, b] = edgeTrim(lines[i]!);
      const pair = lines[i]!.slice(a, b).split(' ');
      if (pair.length !== 2) {
        throw new QnmtError(
          'bpe/codes-format',
          `${source} line ${i + 1}: expected a pair 'A B', found ${JSON.stringify(lines[i]!.slice(0, 60))}.`,
        );
      }
      let right = ranks.get(pair[0]!);
      if (!right) ranks.set(pair[0]!, (right = new Map()));
      if (!right.has(pair[1]!)) right.set(pair[1]!, i - start); // the first occurrence wins
    }
    return new Bpe(ranks, lines.length - start);
  }

  /**
   * Segment one line (without its newline): leading/trailing `\r`, `\n`, spaces are kept, the rest is split on
   * single spaces (empty tokens dropped), each word is segmented and every non-final piece gets `@@`.
   */
  apply(line: string): string {
    const [start, end] = edgeTrim(line);
    if (start === end) return line; // whitespace-only: apply_bpe writes it back unchanged
    const body = line.slice(start, end);
    const lead = line.slice(0, start);
    const trail = line.slice(end);
    const out: string[] = [];
    for (const word of body.split(' ')) {
      if (word === '') continue;
      const pieces = this.segmentWord(word);
      for (let i = 0; i < pieces.length - 1; i++) out.push(pieces[i]! + this.separator);
      out.push(pieces[pieces.length - 1]!);
    }
    return lead + out.join(' ') + trail;
  }

  /** The BPE pieces of one word (no separators), cached per word. */
  segmentWord(word: string): readonly string[] {
    let pieces = this.cache.get(word);
    if (!pieces) {
      const chars = Array.from(word);
      if (chars.length === 1) pieces = [word];
      else {
        chars[chars.length - 1] += '</w>';
        const merged = chars.length <= this.directMax ? this.mergeDirect(chars) : this.mergeLinked(chars);
        const last = merged.length - 1;
        if (merged[last] === '</w>') merged.pop();
        else merged[last] = merged[last]!.replaceAll('</w>', '');
        pieces = merged;
      }
      this.cache.set(word, pieces);
    }
    return pieces;
  }

  /** `encode` as written in apply_bpe.py: find the lowest-ranked pair, merge all its occurrences, repeat. */
  private mergeDirect(word: string[]): string[] {
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.ranks.get(word[i]!)?.get(word[i + 1]!);
        if (r !== undefined && r < best) {
          best = r;
          first = word[i]!;
          second = word[i + 1]!;
        }
      }
      if (best === Infinity) break;
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (word[i] === first && i + 1 < word.length && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++]!);
      }
      word = next;
    }
    return word;
  }

  /**
   * The same result in about O(n log n) for long words (a 100 000-character token must not hang): a linked list
   * of symbols, the occurrences of each pair, and a heap of the ranks present. Each round takes the lowest rank
   * still occurring and merges all its occurrences left to right, exactly like one round of `encode` (a merge
   * can never create a new occurrence of the pair being merged, as the merged symbol is longer than both halves).
   */
  private mergeLinked(chars: string[]): string[] {
    const n = chars.length;
    const sym = chars.slice();
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    const occ = new Map<number, number[]>(); // rank → left node indices (may be stale)
    const heap: number[] = [];
    const note = (left: number): void => {
      const right = next[left]!;
      if (right < 0) return;
      const r = this.ranks.get(sym[left]!)?.get(sym[right]!);
      if (r === undefined) return;
      let list = occ.get(r);
      if (!list) {
        list = [];
        occ.set(r, list);
        heapPush(heap, r);
      }
      list.push(left);
    };
    for (let i = 0; i + 1 < n; i++) note(i);
    let count = n;
    while (count > 1 && heap.length > 0) {
      const r = heapPop(heap);
      const list = occ.get(r);
      occ.delete(r);
      if (!list) continue;
      list.sort((a, b) => a - b); // node index order = position order (merges keep the left node)
      let first: string | undefined;
      let second: string | undefined;
      for (const left of list) {
        if (!alive[left]) continue;
        const right = next[left]!;
        if (right < 0) continue;
        if (first === undefined) {
          // the pair of this rank, taken from the first valid occurrence
          if (this.ranks.get(sym[left]!)?.get(sym[right]!) !== r) continue;
          first = sym[left]!;
          second = sym[right]!;
        }
        if (sym[left] !== first || sym[right] !== second) continue;
        sym[left] = first + second;
        alive[right] = 0;
        const after = next[right]!;
        next[left] = after;
        if (after >= 0) prev[after] = left;
        count--;
        if (prev[left]! >= 0) note(prev[left]!);
        note(left);
      }
    }
    const out: string[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

function heapPush(h: number[], v: number): void {
  h.push(v);
  for (let i = h.length - 1; i > 0; ) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    h[p] = v;
    i = p;
  }
}

function heapPop(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  if (h.length > 0) {
    let i = 0;
    h[0] = last;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]! < h[m]!) m = l;
      if (r < h.length && h[r]! < h[m]!) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  return top;
}
