import type { Catalog } from "../bindings/Catalog";
import type { ConnectionList } from "../bindings/ConnectionList";
import type { PackageSummary } from "../bindings/PackageSummary";

export const pkg = (over: Partial<PackageSummary> = {}): PackageSummary => ({
  id: "pkg_1",
  type: "fw",
  version: "2.0.0",
  device_type: "temp-sensor",
  min_version: "1.0.0",
  size_bytes: 524288,
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  signature_status: "verified",
  created_at: "2026-11-23T10:00:00Z",
  release_notes: "Fix sensor drift.",
  stored_encrypted: false,
  payload_type: "FILE",
  storage_key: "firmware/ten_1/2.0.0/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.bin",
  ...over,
});

export const connections: ConnectionList = {
  connections: [{ name: "prod", url: "http://127.0.0.1:9", kind: "saved", active: true, ca_cert: null }],
  active: "prod",
  demo_available: false,
  token_refused: null,
};

export const catalog = (over: Partial<Catalog> = {}): Catalog => ({
  connection: "prod",
  packages: [pkg(), pkg({ id: "pkg_2", version: "1.4.2", type: "sw", device_type: "gateway", signature_status: "unsigned" })],
  fresh: true,
  synced_at_ms: new Date(2026, 10, 23, 14, 5).getTime(),
  offline_reason: null,
  ...over,
});
