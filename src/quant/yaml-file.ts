/**
 * Reading YAML files with positions: malformed YAML and semantic errors both name the file and the
 * line, so a user can fix a config or a stats file without guessing.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node, type Document } from 'yaml';
import { QnmtError } from '../errors.js';

export interface YamlFile {
  readonly file: string;
  readonly doc: Document;
  /** 1-based line of a node (0 when unknown). */
  line(node: unknown): number;
  /** "file:line" for messages. */
  where(node: unknown): string;
}

export function readYamlFile(path: string, code: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new QnmtError(`${code}/unreadable`, `${path}: cannot read file (${(e as Error).message}).`);
  }
  return parseYamlText(text, path, code);
}

export function parseYamlText(text: string, file: string, code: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0].line ?? 0;
    const msg = err.message.split('\n')[0];
    throw new QnmtError(`${code}/malformed-yaml`, `${file}:${line}: malformed YAML: ${msg}`);
  }
  const line = (node: unknown): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : 0;
  };
  return { file, doc, line, where: (node) => `${file}:${line(node)}` };
}

/** The entries of a YAML mapping node in file order, keys as JS values (strings or numbers). */
export function mapEntries(node: unknown): { key: unknown; keyNode: Node; value: Node | null }[] | null {
  if (!isMap(node)) return null;
  return node.items.map((pair) => {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? keyNode.value : keyNode;
    return { key, keyNode, value: (pair.value ?? null) as Node | null };
  });
}

/** The JS value of a scalar node (undefined for maps and sequences). Blank values are null. */
export function scalarValue(node: Node | null): unknown {
  if (node === null) return null;
  if (isScalar(node)) return node.value;
  return undefined;
}

export function isSeqNode(node: unknown): boolean {
  return isSeq(node);
}
