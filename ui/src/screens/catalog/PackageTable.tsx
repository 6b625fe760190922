import type { PackageSummary } from "../../bindings/PackageSummary";
import { CopyButton } from "../../components/CopyButton";
import { VirtualTable } from "../../components/VirtualTable";
import { formatBytes, formatTime } from "../../lib/format";
import { PayloadBadge } from "./PayloadBadge";
import { SignatureBadge } from "./SignatureBadge";

const COLUMNS = ["Version", "Type", "Device type", "Min version", "Size", "SHA-256", "Signature", "Created"];

interface Props {
  packages: PackageSummary[];
  selected: string | null;
  onSelect: (id: string) => void;
}

/** The catalog (the whole cached list): a row selects its package, whose details show beside. */
export function PackageTable({ packages, selected, onSelect }: Props) {
  return (
    <VirtualTable
      label="Packages"
      columns={COLUMNS}
      rows={packages}
      rowKey={(p) => p.id}
      rowAttributes={(p) => ({
        className: p.id === selected ? "selected" : undefined,
        "aria-selected": p.id === selected,
        "data-testid": "package-row",
      })}
      onOpen={(p) => onSelect(p.id)}
      cells={(p) => (
        <>
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
        </>
      )}
    />
  );
}
