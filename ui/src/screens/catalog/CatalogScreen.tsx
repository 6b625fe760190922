import { useMemo, useState } from "react";
import type { AppError } from "../../ipc";
import { useReportFirstPaint } from "../../lib/firstPaint";
import { useCatalog } from "../../lib/queries";
import { applyFilter, deviceTypes, NO_FILTER, type CatalogFilter } from "./filter";
import { PackageDetailPanel } from "./PackageDetailPanel";
import { PackageTable } from "./PackageTable";
import { ErrorLine } from "../../components/ErrorLine";

/** All packages of the active connection, with filters and a detail panel (`selectedAtStart`
 *  open first); "Upload package" calls `onOpenUpload`. */
export function CatalogScreen({
  onOpenSettings,
  onOpenUpload,
  selectedAtStart = null,
}: {
  onOpenSettings: () => void;
  onOpenUpload: () => void;
  selectedAtStart?: string | null;
}) {
  const { data, live, cached, active } = useCatalog();
  const [filter, setFilter] = useState<CatalogFilter>(NO_FILTER);
  const [selected, setSelected] = useState<string | null>(selectedAtStart);
  const packages = useMemo(() => data?.packages ?? [], [data]);
  const shown = useMemo(() => applyFilter(packages, filter), [packages, filter]);
  const types = useMemo(() => deviceTypes(packages), [packages]);
  const error = (live.error ?? cached.error) as AppError | null;
  useReportFirstPaint(cached.isSuccess);

  return (
    <>
      <div className="screen-head">
        <h1 id="section-title">Catalog</h1>
        {active && (
          <button type="button" className="primary" onClick={onOpenUpload} data-testid="open-upload">
            Upload package
          </button>
        )}
      </div>
      {error && (
        <ErrorLine error={error} />
      )}
      {!active && cached.isSuccess ? (
        <section className="empty-state" data-testid="empty-state">
          <h2>No fleet connected</h2>
          <p>Add a server connection (or start the local demo fleet) to see its packages.</p>
          <button type="button" className="primary" onClick={onOpenSettings}>
            Open Settings
          </button>
        </section>
      ) : (
        <>
          <div className="filters" role="search">
            <input
              type="search"
              aria-label="Search packages"
              placeholder="Search version, device type, checksum…"
              value={filter.search}
              onChange={(e) => setFilter({ ...filter, search: e.target.value })}
            />
            <select aria-label="Package type" value={filter.type} onChange={(e) => setFilter({ ...filter, type: e.target.value as CatalogFilter["type"] })}>
              <option value="">All types</option>
              <option value="fw">Firmware</option>
              <option value="sw">Software</option>
            </select>
            <select aria-label="Device type" value={filter.deviceType} onChange={(e) => setFilter({ ...filter, deviceType: e.target.value })}>
              <option value="">All device types</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
            <span className="muted" data-testid="package-count">
              {shown.length} of {packages.length} packages
            </span>
          </div>
          <div className={selected ? "catalog with-detail" : "catalog"}>
            {packages.length === 0 && data ? (
              <section className="empty-state">
                <h2>No packages yet</h2>
                <p>Upload a build to create the first package.</p>
              </section>
            ) : (
              <PackageTable packages={shown} selected={selected} onSelect={setSelected} />
            )}
            {selected && <PackageDetailPanel id={selected} onClose={() => setSelected(null)} />}
          </div>
        </>
      )}
    </>
  );
}
