/** DOM helpers shared by the dashboard's views (webview side only). */

export const PALETTE = ['#3794ff', '#f14c4c', '#89d185', '#cca700', '#b180d7', '#4ec9b0', '#ce9178', '#d7ba7d'];

/** An element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** A number for display: fixed digits, ∞ / −∞ / NaN by name, — for missing. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (typeof v !== 'number') return '—';
  if (Number.isFinite(v)) return v.toFixed(digits);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
}

/** Theme colours for canvas drawing (a canvas cannot resolve CSS variables itself). */
export function themeColour(variable: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

/** What a view registers while it is shown and must release when it is hidden or re-rendered. */
export class Disposables {
  private items: (() => void)[] = [];

  add(dispose: () => void): void {
    this.items.push(dispose);
  }

  /** A listener on a long-lived target (window, document), removed on dispose. */
  listen<K extends keyof WindowEventMap>(target: Window, type: K, fn: (e: WindowEventMap[K]) => void): void {
    target.addEventListener(type, fn);
    this.add(() => target.removeEventListener(type, fn));
  }

  dispose(): void {
    for (const d of this.items.splice(0).reverse()) d();
  }
}
