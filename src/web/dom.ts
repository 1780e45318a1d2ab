/** Build an element with properties and children; text always goes in as text, never as HTML. */
export function el<K extends keyof HTMLElementTagNameMap> (tag: K, props: Partial<Record<string, unknown>> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (name === 'role' || name === 'href') node.setAttribute(name, String(value))
    else (node as unknown as Record<string, unknown>)[name] = value
  }
  node.append(...children)
  return node
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** "812 B", "3.0 MiB", "1.4 GiB": binary units, labelled as such (as the CLI prints them). */
export function formatSize (value: number): string {
  if (!Number.isFinite(value) || value < 1024) return `${Math.max(0, Math.round(value))} B`
  let unit = 0
  let scaled = value
  while (scaled >= 1024 && unit < UNITS.length - 1) { scaled /= 1024; unit++ }
  return `${scaled.toFixed(1)} ${UNITS[unit]!}`
}
