import type { PackageSummary } from "../../bindings/PackageSummary";

export interface CatalogFilter {
  search: string;
  type: "" | "fw" | "sw";
  deviceType: string;
}

export const NO_FILTER: CatalogFilter = { search: "", type: "", deviceType: "" };

/** Packages matching the filter; the search looks at version, device type, id and checksum. */
export function applyFilter(packages: PackageSummary[], f: CatalogFilter): PackageSummary[] {
  const q = f.search.trim().toLowerCase();
  return packages.filter(
    (p) =>
      (!f.type || p.type === f.type) &&
      (!f.deviceType || p.device_type === f.deviceType) &&
      (!q ||
        p.version.toLowerCase().includes(q) ||
        p.device_type.toLowerCase().includes(q) ||
        p.id.toLowerCase().includes(q) ||
        p.sha256.startsWith(q) ||
        (p.release_notes ?? "").toLowerCase().includes(q)),
  );
}

export function deviceTypes(packages: PackageSummary[]): string[] {
  return [...new Set(packages.map((p) => p.device_type))].sort();
}
