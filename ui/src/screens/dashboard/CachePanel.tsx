import type { CachedKind } from "../../bindings/CachedKind";
import { formatAge, formatClock } from "../../lib/format";
import { KIND_LABELS } from "./labels";

/** What is kept offline for this connection: how many of each kind, and when each was synced. */
export function CachePanel({ kinds, now }: { kinds: CachedKind[] | undefined; now: number }) {
  if (!kinds) return <p className="muted">Counting what is cached…</p>;
  return (
    <table className="dash-cache" data-testid="cache-summary">
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col" className="num">
            Cached
          </th>
          <th scope="col">Last sync</th>
        </tr>
      </thead>
      <tbody>
        {kinds.map((k) => (
          <tr key={k.kind} data-kind={k.kind}>
            <th scope="row">{KIND_LABELS[k.kind] ?? k.kind}</th>
            <td className="num" data-testid={`cached-${k.kind}`}>
              {k.count.toLocaleString("en")}
            </td>
            <td className="muted">
              {k.synced_at_ms ? `${formatClock(k.synced_at_ms)} (${formatAge(k.synced_at_ms, now)})` : "never"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
