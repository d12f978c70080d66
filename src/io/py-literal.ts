/**
 * A tiny, safe parser for Python literals (what `ast.literal_eval` accepts for config strings):
 * dicts, lists, tuples, str, int, float, True/False/None, with optional unary minus/plus.
 * Used for `config.model_config`, e.g. "{'hidden_size': 1024,'num_layers': 4, 'dropout': 0.2, 'share_embedding': True}".
 */
export type PyLiteral = null | boolean | number | string | PyLiteral[] | { [key: string]: PyLiteral };

export class PyLiteralError extends Error {}

/** Deepest nesting accepted (a config dict needs 1; the bound keeps the recursive parser off the stack limit). */
export const MAX_LITERAL_DEPTH = 100;

const NUMBER = /[+-]?(?:\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|nan)/y;

export function parsePyLiteral(text: string): PyLiteral {
  let i = 0;
  let depth = 0;
  const err = (msg: string): never => { throw new PyLiteralError(`${msg} at character ${i}`); };
  const ws = (): void => { while (i < text.length && /\s/.test(text[i]!)) i++; };
  const value = (): PyLiteral => {
    if (++depth > MAX_LITERAL_DEPTH) err(`nested more than ${MAX_LITERAL_DEPTH} levels deep`);
    try {
      return inner();
    } finally {
      depth--;
    }
  };
  const inner = (): PyLiteral => {
    ws();
    const c = text[i];
    if (c === undefined) return err('unexpected end');
    if (c === '{') {
      i++;
      const out: { [key: string]: PyLiteral } = {};
      ws();
      while (text[i] !== '}') {
        const k = value();
        if (typeof k !== 'string' && typeof k !== 'number') err('dict keys must be strings or numbers');
        ws();
        if (text[i] !== ':') err("expected ':'");
        i++;
        // defineProperty: a key such as '__proto__' is just a key, never the object's prototype.
        Object.defineProperty(out, String(k), { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; ws(); } else if (text[i] !== '}') err("expected ',' or '}'");
      }
      i++;
      return out;
    }
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const out: PyLiteral[] = [];
      ws();
      while (text[i] !== close) {
        out.push(value());
        ws();
        if (text[i] === ',') { i++; ws(); } else if (text[i] !== close) err(`expected ',' or '${close}'`);
      }
      i++;
      return out;
    }
    if (c === "'" || c === '"') return str(c);
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      const v = Number(m[0].replace(/_/g, '').replace(/inf$/, 'Infinity').replace(/nan$/, 'NaN'));
      if (Number.isNaN(v) && !m[0].endsWith('nan')) err(`bad number ${m[0]}`);
      return v;
    }
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (text.startsWith(word, i) && !/\w/.test(text[i + word.length] ?? '')) { i += word.length; return v; }
    }
    return err(`unexpected ${JSON.stringify(c)}`);
  };
  const str = (q: string): string => {
    i++;
    let out = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) return err('unterminated string');
      if (c === q) return out;
      if (c !== '\\') { out += c; continue; }
      const e = text[i++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === 'x' || e === 'u') {
        const len = e === 'x' ? 2 : 4;
        const hex = text.slice(i, i + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) err('bad escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += len;
      } else out += `\\${e ?? ''}`;
    }
  };
  const v = value();
  ws();
  if (i !== text.length) err('trailing characters');
  return v;
}
