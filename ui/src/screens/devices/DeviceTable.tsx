import type { DeviceListItem } from "../../bindings/DeviceListItem";
import { VirtualTable } from "../../components/VirtualTable";
import { formatTime } from "../../lib/format";
import { StatusBadge } from "./StatusBadge";

const COLUMNS = ["Device", "Device id", "Current", "Target", "OTA status", "Type", "Last update"];

interface Props {
  devices: DeviceListItem[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (id: string) => void;
}

/** The device list: the next page of the cache is read when the person scrolls near the end of
 *  what is loaded; a row opens the device's page. */
export function DeviceTable({ devices, hasMore, loadingMore, onLoadMore, onOpen }: Props) {
  return (
    <VirtualTable
      label="Devices"
      rowClassName="device-row"
      columns={COLUMNS}
      rows={devices}
      rowKey={(d) => d.id}
      rowAttributes={() => ({ "data-testid": "device-row" })}
      onOpen={(d) => onOpen(d.id)}
      paging={{ hasMore, loadingMore, onLoadMore, prefetchRows: 40, loadingNote: "Loading more devices…" }}
      cells={(d) => {
        const differs = d.target_version !== null && d.target_version !== d.current_version;
        return (
          <>
            <span role="gridcell" className="strong">{d.name}</span>
            <span role="gridcell"><code>{d.id}</code></span>
            <span role="gridcell">{d.current_version ?? "—"}</span>
            <span role="gridcell" className={differs ? "strong" : "muted"}>{d.target_version ?? "—"}</span>
            <span role="gridcell"><StatusBadge status={d.ota_status} progress={d.progress} /></span>
            <span role="gridcell" className="muted">{d.device_type}</span>
            <span role="gridcell" className="muted">{d.last_update_at ? formatTime(d.last_update_at) : "—"}</span>
          </>
        );
      }}
    />
  );
}
