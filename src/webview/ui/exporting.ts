/**
 * Export buttons: a chart as PNG (its canvas) or SVG, a table as CSV. The webview cannot write
 * files; it sends the content and a suggested name, and the extension asks where to save it.
 */
import type { ExportFormat } from '../contract';
import { el } from './dom';
import type { ViewHost } from './view';

/** A file-name stem from a title: "validation Dice ↑" → "validation-Dice". */
export function fileStem(title: string): string {
  return (
    title
      .replace(/[^\w .()+=-]+/g, ' ')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 80) || 'seglab'
  );
}

/** A standalone SVG file: the dashboard's stylesheet does not travel with it, so the text style goes inside. */
export function standaloneSvg(svg: string): string {
  const withNs = svg.includes('xmlns=') ? svg : svg.replace('<svg ', '<svg xmlns="http://www.w3.org/2000/svg" ');
  return `<?xml version="1.0" encoding="UTF-8"?>\n${withNs.replace(/(<svg[^>]*>)/, '$1<style>text{font:11px sans-serif;fill:#333}.t{font-size:13px;font-weight:600}</style>')}\n`;
}

export function exportButtons(
  host: ViewHost,
  stem: string,
  make: Partial<Record<ExportFormat, () => string | undefined | Promise<string | undefined>>>,
): HTMLElement {
  const box = el('span', { class: 'export' });
  for (const format of ['png', 'svg', 'csv'] as ExportFormat[]) {
    const fn = make[format];
    if (!fn) continue;
    const b = el(
      'button',
      { type: 'button', 'data-export': format, title: `Save as ${format.toUpperCase()}` },
      `Export ${format.toUpperCase()}`,
    );
    b.addEventListener('click', () => {
      void Promise.resolve(fn()).then((data) => {
        if (data) host.send({ type: 'exportFile', name: `${fileStem(stem)}.${format}`, format, data });
      });
    });
    box.append(b);
  }
  return box;
}

/** An SVG drawn onto a white canvas at `scale`, as a PNG data URL (the CSP allows blob: images). */
export function svgToPng(svg: string, scale = 2): Promise<string | undefined> {
  const w = Number(/width="(\d+)"/.exec(svg)?.[1] ?? 520);
  const h = Number(/height="(\d+)"/.exec(svg)?.[1] ?? 260);
  const url = URL.createObjectURL(new Blob([standaloneSvg(svg)], { type: 'image/svg+xml' }));
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement('canvas');
      c.width = w * scale;
      c.height = h * scale;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(url);
      resolve(c.toDataURL('image/png'));
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      resolve(undefined);
    };
    img.src = url;
  });
}
