// uPlot builds a number formatter for `navigator.language` as soon as its module loads
// (`new Intl.NumberFormat(navigator.language)`). WebKitGTK passes the process's POSIX locale
// through as is, so under LANG=C (a service account, a minimal desktop, the test display) the
// language is "C", Intl refuses it with a RangeError, and the whole UI fails to load. Imported
// before uPlot: a language Intl does not accept is replaced by the first one the browser lists
// that it does, else "en-US", for this page only.
function accepted(tag: string | undefined): boolean {
  if (!tag) return false;
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

if (typeof navigator !== "undefined" && !accepted(navigator.language)) {
  const usable = (navigator.languages ?? []).find(accepted) ?? "en-US";
  Object.defineProperty(navigator, "language", { value: usable, configurable: true });
}

export {};
