import type { StoreView } from "../../runtime/wire/dashboard.js";
import { formatCount } from "../format.js";
import { TableHead } from "./panel.js";

const COLUMNS: [string, string?][] = [["Key"], ["Type"], ["Size", "num"], ["Value"]];

/** The key-value store's first keys (at most 200): type, size and a preview of each value. */
export function StoreTable({ store }: { store: StoreView | undefined }) {
  if (!store) return <p class="empty">Key-value store not started.</p>;
  if (store.entries.length === 0) return <p class="empty">The store is empty.</p>;
  return (
    <div class="table-scroll tall">
      <table class="data store" data-testid="store">
        <TableHead columns={COLUMNS} />
        <tbody>
          {store.entries.map((entry) => (
            <tr key={entry.key}>
              <th scope="row" class="mono key">
                {entry.key}
              </th>
              <td class="muted">{entry.type}</td>
              <td class="num">{formatCount(entry.size)}</td>
              <td class="mono preview">{entry.preview}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The panel's note: how many keys there are, and that only the first ones are listed. */
export function storeMeta(store: StoreView | undefined): string | undefined {
  if (!store) return undefined;
  const keys = `${formatCount(store.keys)} ${store.keys === 1 ? "key" : "keys"}`;
  const served = `${formatCount(store.operations)} requests served`;
  return store.entries.length < store.keys ? `${keys}, the first ${store.entries.length} shown · ${served}` : `${keys} · ${served}`;
}
