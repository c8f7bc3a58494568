import type { ComponentChildren } from "preact";

/** A titled card of the dashboard's grid; `area` names its place in app.css's grid-template-areas. */
export function Panel(props: { area: string; title: string; meta?: ComponentChildren; testid?: string; children: ComponentChildren }) {
  return (
    <section class={`panel area-${props.area}`} data-testid={props.testid}>
      <header class="panel-head">
        <h2>{props.title}</h2>
        {props.meta !== undefined && <div class="panel-meta">{props.meta}</div>}
      </header>
      <div class="panel-body">{props.children}</div>
    </section>
  );
}

/** A small coloured square naming a function's colour, as in the task stream. */
export function Swatch({ colour }: { colour: string }) {
  return <span class="swatch" style={{ background: colour }} aria-hidden="true" />;
}

/** A table's header row: each column's label and class (alignment, hidden on a phone). */
export function TableHead({ columns }: { columns: readonly (readonly [string, string?])[] }) {
  return (
    <thead>
      <tr>
        {columns.map(([label, className]) => (
          <th key={label} scope="col" class={className}>
            {label || <span class="visually-hidden">Actions</span>}
          </th>
        ))}
      </tr>
    </thead>
  );
}
