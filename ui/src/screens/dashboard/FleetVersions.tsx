import { useMemo } from "react";
import type { FleetVersionCount } from "../../bindings/FleetVersionCount";
import { Chart } from "../../components/charts/Chart";
import { barOptions, groupedBars } from "../../components/charts/bars";
import { fleetSummary } from "./labels";

const SEP = "\u0000";

/** The fleet's firmware versions: a bar per version, coloured by device type, and the same
 *  counts in words beneath. */
export function FleetVersions({ versions }: { versions: FleetVersionCount[] }) {
  const bars = useMemo(
    () =>
      groupedBars(
        versions,
        (v) => v.device_type,
        (v) => v.firmware_version,
        (v) => v.devices,
      ),
    [versions],
  );
  // The chart is rebuilt only when its labels or groups change; new counts are fed in place.
  const labels = bars.labels.join(SEP);
  const groups = bars.groups.join(SEP);
  const options = useMemo(
    () => barOptions({ labels: labels.split(SEP), groups: groups.split(SEP) }, "Devices"),
    [labels, groups],
  );
  const summary = fleetSummary(versions);
  if (versions.length === 0) {
    return (
      <p className="muted" data-testid="fleet-versions-empty">
        No devices counted yet.
      </p>
    );
  }
  return (
    <div data-testid="fleet-versions">
      <Chart options={options} data={bars.data} height={220} summary={summary} />
      <ul className="dash-versions" data-testid="fleet-versions-list">
        {bars.groups.map((type) => (
          <li key={type}>
            <strong>{type}</strong>{" "}
            <span className="muted">
              {versions
                .filter((v) => v.device_type === type)
                .map((v) => `${v.firmware_version} × ${v.devices.toLocaleString("en")}`)
                .join(" · ")}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
