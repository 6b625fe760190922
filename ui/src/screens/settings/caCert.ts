// How Settings words a trusted CA: its subject and when it expires.
import type { CaCertInfo } from "../../bindings/CaCertInfo";

/** "CN=Example Fleet CA, expires 2027-03-01" (or "expired 2026-01-01"), and how many
 *  certificates a bundle holds beyond the first. */
export function caCertSummary(ca: CaCertInfo): string {
  const day = ca.not_after.slice(0, 10);
  const more = ca.certificates > 1 ? ` (+${ca.certificates - 1} more in the bundle)` : "";
  return `${ca.subject}, ${ca.expired ? "expired" : "expires"} ${day}${more}`;
}
