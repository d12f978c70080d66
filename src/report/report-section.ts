/**
 * A section a search command adds to the report page (sensitivity, tuning): its HTML, the ids of the
 * charts it draws, and the script that draws them from data embedded in the script itself.
 */
export interface ReportSection {
  readonly chartIds: readonly string[];
  readonly html: string;
  readonly script: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside <script>: no `</script>`, no `<!--`. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** An HTML table; cells in columns listed in `numeric` are right-aligned. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number> = new Set()): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, j) => `<td${numeric.has(j) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A chart drawn once the page's Chart.js is loaded: `new Chart(canvas, config)` with animation off. */
export function chartScript(id: string, config: unknown): string {
  return `(function(){var c=${scriptJson(config)};c.options=c.options||{};c.options.animation=false;c.options.maintainAspectRatio=false;` +
    `var el=document.getElementById(${scriptJson(id)});if(el&&window.Chart){new Chart(el,c);el.setAttribute('data-rendered','true');}})();`;
}
