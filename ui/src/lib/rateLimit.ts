// The server's rate limit as the app meets it: a call refused with 429 and Retry-After is sent
// again by the backend after the wait it was told; the backend says so (an app event), and the
// status bar shows "Rate limited, retrying in N s" until the wait is over.
import { useEffect, useState } from "react";

export interface RateLimitNotice {
  /** The call that waits, e.g. "GET /api/v1/ota/packages". */
  call: string;
  /** When (Date.now() milliseconds) it is sent again. */
  retryAt: number;
}

type Listener = (notice: RateLimitNotice | null) => void;
const listeners = new Set<Listener>();
let current: RateLimitNotice | null = null;

/** Called for each `rate_limited` app event. */
export function rateLimited(call: string, retryInSeconds: number, now = Date.now()) {
  const notice = { call, retryAt: now + Math.max(1, retryInSeconds) * 1000 };
  // The longest wait shown wins: a shorter one ends inside it.
  if (!current || notice.retryAt >= current.retryAt) {
    current = notice;
    listeners.forEach((l) => l(current));
  }
}

/** "Rate limited, retrying in N s" while a call waits, else `null`; updates every second. */
export function useRateLimitNotice(): string | null {
  const [notice, setNotice] = useState<RateLimitNotice | null>(current);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const listener: Listener = (n) => {
      setNotice(n);
      setNow(Date.now());
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  useEffect(() => {
    if (!notice) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [notice]);
  return rateLimitText(notice, now);
}

/** The sentence for a notice at `now`; `null` once its wait is over. */
export function rateLimitText(notice: RateLimitNotice | null, now: number): string | null {
  if (!notice) return null;
  const left = Math.ceil((notice.retryAt - now) / 1000);
  if (left <= 0) return null;
  return `Rate limited by the server, retrying in ${left} s`;
}
