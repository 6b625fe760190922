import { DeviceList } from "./DeviceList";
import { DevicePage } from "./DevicePage";

interface Props {
  /** The device to show (from the route), or none for the search. */
  deviceId: string | null;
  navigate: (hash: string) => void;
  onOpenSettings: () => void;
}

/** Devices: search the fleet, or one device's page (`#/devices/<id>`). */
export function DevicesScreen({ deviceId, navigate, onOpenSettings }: Props) {
  if (deviceId) {
    return <DevicePage key={deviceId} id={deviceId} onBack={() => navigate("#/devices")} />;
  }
  return <DeviceList onOpen={(id) => navigate(`#/devices/${encodeURIComponent(id)}`)} onOpenSettings={onOpenSettings} />;
}
