/**
 * Reading YAML files with positions: malformed YAML and semantic errors both name the file and the
 * line, so a user can fix a config or a stats file without guessing.
 */
import { readFileBounded } from '../io/read-bounded.js';
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, visit, type Node, type Document } from 'yaml';
import { limitError, limits } from '../limits.js';
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
  const text = Buffer.from(readFileBounded(path, 'yamlBytes', `${code}/unreadable`)).toString('utf8');
  return parseYamlText(text, path, code);
}

export function parseYamlText(text: string, file: string, code: string): YamlFile {
  if (text.length > limits().yamlBytes) throw limitError(`${code}/limit`, file, 'yamlBytes', 'YAML size in characters', text.length);
  const lineCounter = new LineCounter();
  // uniqueKeys off: the library's own check is quadratic in the keys of a mapping; checkTree does it in linear time.
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  } catch (e) {
    throw new QnmtError(`${code}/malformed-yaml`, `${file}: malformed YAML: ${(e as Error).message.split('\n')[0]}`);
  }
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
  const y: YamlFile = { file, doc, line, where: (node) => `${file}:${line(node)}` };
  checkTree(y, code);
  return y;
}

/**
 * One linear pass over the parsed tree: at most `yamlNodes` nodes, no aliases (qnmt's files never need
 * them, and expanding them is how small YAML files grow huge), and no key twice in one mapping.
 */
function checkTree(y: YamlFile, code: string): void {
  let nodes = 0;
  const max = limits().yamlNodes;
  visit(y.doc, {
    Node(_key, node) {
      if (++nodes > max) throw limitError(`${code}/limit`, y.where(node), 'yamlNodes', 'number of YAML keys and values', `more than ${max}`);
      if (isAlias(node)) {
        throw new QnmtError(`${code}/yaml-alias`, `${y.where(node)}: YAML aliases (*${node.source}) are not supported in qnmt's config and stats files; write the value out in full.`);
      }
      if (isMap(node)) {
        const seen = new Set<unknown>();
        for (const pair of node.items) {
          const k = isScalar(pair.key) ? pair.key.value : pair.key;
          if (typeof k !== 'object' || k === null) {
            if (seen.has(k)) throw new QnmtError(`${code}/malformed-yaml`, `${y.where(pair.key)}: malformed YAML: map keys must be unique; '${String(k).slice(0, 80)}' appears twice in this mapping.`);
            seen.add(k);
          }
        }
      }
      return undefined;
    },
  });
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
