// Hash routes: "#/devices/<device id>", "#/rollouts/<rollout id>", "#/catalog"… The hash keeps
// the place across a reload and lets any screen link to another (a rollout's device table opens
// "#/devices/<id>"; a notification click opens "#/rollouts/<id>").
import { useCallback, useEffect, useState } from "react";
import { SECTIONS, type SectionId } from "../shell/Sidebar";

export interface Route {
  section: SectionId;
  /** The object the section shows (a device id, a rollout id), if any. */
  id: string | null;
}

export const DEFAULT_ROUTE: Route = { section: "catalog", id: null };

export function parseRoute(hash: string): Route {
  const [section, ...rest] = hash.replace(/^#\/?/, "").split("/");
  const known = SECTIONS.find((s) => s.id === section);
  if (!known) return DEFAULT_ROUTE;
  const id = rest.length > 0 && rest.join("/") !== "" ? decodeURIComponent(rest.join("/")) : null;
  return { section: known.id, id };
}

export function routeHash(section: SectionId, id?: string | null): string {
  return id ? `#/${section}/${encodeURIComponent(id)}` : `#/${section}`;
}

/** The current route and a way to go elsewhere (`navigate("#/devices/dev_1")`). */
export function useRoute(): [Route, (hash: string) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    // A screen may consume its link (the rollouts screen clears "#/rollouts/<id>" once opened):
    // an emptied hash keeps the current screen rather than going back to the default one.
    const onChange = () => {
      if (window.location.hash !== "") setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  const navigate = useCallback((hash: string) => {
    setRoute(parseRoute(hash));
    if (window.location.hash !== hash) window.location.hash = hash;
  }, []);
  return [route, navigate];
}
