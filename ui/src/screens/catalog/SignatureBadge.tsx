export function SignatureBadge({ status }: { status: string }) {
  const label = status === "verified" ? "✓ Verified" : status === "signed" ? "Signed" : "Unsigned";
  return <span className={`badge sig-${status}`}>{label}</span>;
}
