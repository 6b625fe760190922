import { useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { PackageSummary } from "../../bindings/PackageSummary";
import { formatBytes, formatTime } from "../../lib/format";
import { CopyButton } from "../../components/CopyButton";
import { PayloadBadge } from "./PayloadBadge";
import { SignatureBadge } from "./SignatureBadge";

const ROW_HEIGHT = 40;

interface Props {
  packages: PackageSummary[];
  selected: string | null;
  onSelect: (id: string) => void;
}

/** The catalog as a virtualized grid: only the visible rows are in the DOM. */
export function PackageTable({ packages, selected, onSelect }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({
    count: packages.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    initialRect: { width: 1000, height: 600 },
  });
  return (
    <div className="table" role="grid" aria-label="Packages" aria-rowcount={packages.length + 1}>
      <div className="row head" role="row">
        <span role="columnheader">Version</span>
        <span role="columnheader">Type</span>
        <span role="columnheader">Device type</span>
        <span role="columnheader">Min version</span>
        <span role="columnheader">Size</span>
        <span role="columnheader">SHA-256</span>
        <span role="columnheader">Signature</span>
        <span role="columnheader">Created</span>
      </div>
      <div className="table-body" ref={scroller}>
        <div style={{ height: rows.getTotalSize(), position: "relative" }}>
          {rows.getVirtualItems().map((item) => {
            const p = packages[item.index];
            return (
              <div
                key={p.id}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={p.id === selected}
                tabIndex={0}
                className={p.id === selected ? "row selected" : "row"}
                data-testid="package-row"
                style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onSelect(p.id)}
                onKeyDown={(e) => {
                  if (e.key === "Enter" || e.key === " ") {
                    e.preventDefault();
                    onSelect(p.id);
                  }
                }}
              >
                <span role="gridcell" className="strong">{p.version}</span>
                <span role="gridcell">
                  {p.type}
                  <PayloadBadge kind={p.payload_type} />
                </span>
                <span role="gridcell">{p.device_type}</span>
                <span role="gridcell">{p.min_version ?? "—"}</span>
                <span role="gridcell">{formatBytes(p.size_bytes)}</span>
                <span role="gridcell" className="sha">
                  <code title={p.sha256}>{p.sha256.slice(0, 12)}…</code>
                  <CopyButton text={p.sha256} label={`Copy SHA-256 of ${p.version}`} />
                </span>
                <span role="gridcell"><SignatureBadge status={p.signature_status} /></span>
                <span role="gridcell">{formatTime(p.created_at)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
