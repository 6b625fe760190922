/** A device's agent as a person reads it: the first product of its `User-Agent` as name and
 *  version ("airlift-agent/0.1.0" → "airlift-agent 0.1.0"); anything else as the device sent it. */
export function agentLabel(userAgent: string): string {
  const sent = userAgent.trim();
  const first = sent.split(/\s+/)[0] ?? "";
  const slash = first.indexOf("/");
  if (slash <= 0 || slash === first.length - 1) return sent;
  return `${first.slice(0, slash)} ${first.slice(slash + 1)}`;
}
