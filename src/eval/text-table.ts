/** Markdown and CSV text of a table given as header + cells (the sensitivity and tuning tables). */

/** `aligns[i]` is 'l' or 'r' per column. */
export function markdownTable(header: readonly string[], aligns: readonly ('l' | 'r')[], cells: readonly (readonly string[])[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${aligns.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`];
  for (const row of cells) lines.push(`| ${row.map(esc).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

export function csvTable(header: readonly string[], cells: readonly (readonly (string | number | null)[])[]): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...cells].map((row) => row.map(cell).join(',')).join('\n') + '\n';
}

/** A BLEU difference with its sign, two decimals ("+0.12", "-1.05"). */
export function signedBleu(x: number): string {
  const r = Math.round(x * 100) / 100 + 0;
  return r > 0 ? `+${r.toFixed(2)}` : r.toFixed(2);
}
