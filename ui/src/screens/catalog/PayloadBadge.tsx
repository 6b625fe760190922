import type { PayloadKind } from "../../bindings/PayloadKind";

export const PAYLOAD_LABEL: Record<PayloadKind, string> = {
  FILE: "File",
  JSON: "JSON configuration",
  URL_LIST: "URL list",
};

/** Seed 002's package type beside the fw/sw type; a plain file (the usual case) shows none. */
export function PayloadBadge({ kind }: { kind: PayloadKind }) {
  if (kind === "FILE") return null;
  return (
    <span className="badge payload" data-testid="payload-type" title={PAYLOAD_LABEL[kind]}>
      {kind === "JSON" ? "JSON" : "URL list"}
    </span>
  );
}
