/** A few lines of DOM building: the console has no UI framework (its whole first view stays small). */

type Child = Node | string | number | false | null | undefined | Child[];
type Props = Record<string, unknown> & { style?: Partial<CSSStyleDeclaration> };

/**
 * Creates an element. `on*` props become listeners, `style` is assigned through the CSSOM (allowed by a
 * CSP without `'unsafe-inline'`), `false`/`undefined` props are skipped, everything else is an attribute.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === false || value === null) continue;
    if (name === "style") Object.assign(el.style, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces `parent`'s content with `children`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.textContent = "";
  append(parent, children);
}
