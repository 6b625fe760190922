// Hash routes: "#/devices/<device id>", "#/rollouts/<rollout id>", "#/catalog/<package id>",
// "#/audit"… The hash keeps the place across a reload and lets any screen link to another (a
// rollout's device table opens "#/devices/<id>"; a notification click or a dashboard row opens
// "#/rollouts/<id>"; an audit entry opens its object).
import { useCallback, useEffect, useState } from "react";
import { SECTIONS, type SectionId } from "../shell/Sidebar";

export interface Route {
  section: SectionId;
  /** The object the section shows (a device id, a rollout id), if any. */
  id: string | null;
}

/** The start screen: the dashboard. */
export const DEFAULT_ROUTE: Route = { section: "dashboard", id: null };

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

/** The rollout wizard with `packageId` already chosen (from an upload's result or the catalog). */
export function startRolloutHash(packageId: string): string {
  return `#/rollouts/new/${encodeURIComponent(packageId)}`;
}

/** Asked before the app leaves the current screen; answers `true` when it holds the person
 *  back (it then asks them, and calls `proceed` if they choose to leave). */
export type LeaveGuard = (proceed: () => void) => boolean;

let leaveGuard: LeaveGuard | null = null;

/** A screen with unsaved input (the rollout wizard) guards leaving it while mounted; the
 *  returned function removes the guard. */
export function guardLeaving(guard: LeaveGuard): () => void {
  leaveGuard = guard;
  return () => {
    if (leaveGuard === guard) leaveGuard = null;
  };
}

/** Whether a screen guards leaving now (other hash listeners then wait for the answer). */
export function isLeaveGuarded(): boolean {
  return leaveGuard !== null;
}

/** Runs `go` now, or once the person confirmed leaving the guarded screen. */
export function leaveThen(go: () => void) {
  if (leaveGuard?.(go)) return;
  go();
}

/** The current route and a way to go elsewhere (`navigate("#/devices/dev_1")`). */
export function useRoute(): [Route, (hash: string) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    // A screen may consume its link (the rollouts screen clears "#/rollouts/<id>" once opened):
    // an emptied hash keeps the current screen rather than going back to the default one.
    let shown = window.location.hash;
    const onChange = () => {
      const wanted = window.location.hash;
      if (wanted === "") return;
      // A link or a notification click changed the hash: a guarded screen asks first, and the
      // address shows where the person still is until they choose to leave.
      if (leaveGuard && wanted !== shown) {
        history.replaceState(null, "", shown || window.location.pathname + window.location.search);
        leaveThen(() => {
          shown = wanted;
          if (window.location.hash === wanted) setRoute(parseRoute(wanted));
          else window.location.hash = wanted;
        });
        return;
      }
      shown = wanted;
      setRoute(parseRoute(wanted));
    };
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  const navigate = useCallback((hash: string) => {
    leaveThen(() => {
      setRoute(parseRoute(hash));
      if (window.location.hash !== hash) window.location.hash = hash;
    });
  }, []);
  return [route, navigate];
}
