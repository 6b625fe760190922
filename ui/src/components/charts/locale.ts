// uPlot makes its number formatter for navigator.language when it is imported. A process
// started with LANG=C (a service, a session under Xvfb) reports "C" there, which Intl refuses
// with a RangeError: the import would fail and take the whole window with it. Imported before
// uPlot, this replaces such a tag with the locale Intl itself falls back to.

function usable(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (typeof navigator !== "undefined" && !usable(navigator.language)) {
  const fallback = new Intl.NumberFormat().resolvedOptions().locale;
  Object.defineProperty(navigator, "language", { value: fallback, configurable: true });
}

export {};
