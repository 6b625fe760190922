import { fireEvent, screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AuditEntryInfo } from "../../bindings/AuditEntryInfo";
import type { AuditPage } from "../../bindings/AuditPage";
import type { AuditRequest } from "../../bindings/AuditRequest";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { AuditScreen } from "./AuditScreen";

// jsdom lays nothing out: give the virtualized table a viewport so it renders rows.
beforeEach(() => {
  vi.spyOn(Element.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(Element.prototype, "clientWidth", "get").mockReturnValue(1000);
});
afterEach(() => {
  clearMocks();
  vi.restoreAllMocks();
});

const entry = (id: string, action: string, objectId: string, over: Partial<AuditEntryInfo> = {}): AuditEntryInfo => ({
  id,
  at: "2026-11-23T10:00:00Z",
  actor: "alice@acme",
  role: "release-manager",
  action,
  object_type: action.split(".")[0],
  object_id: objectId,
  summary: `${action} of ${objectId}`,
  ...over,
});

/** The log, newest first. */
const LOG = [
  entry("aud_6", "rollout.pause", "rol_1"),
  entry("aud_5", "rollout.create", "rol_1", { actor: "bob@acme", role: "admin" }),
  entry("aud_4", "package.create", "pkg_1"),
  entry("aud_3", "device.create", "dev_1"),
  entry("aud_2", "image.create", "img_1"),
  entry("aud_1", "tenant.update", "ten_1", { actor: "bob@acme", role: "admin" }),
];

const ACCESS = {
  allowed: true,
  actions: ["package.create", "image.create", "rollout.create", "rollout.pause", "device.create", "tenant.update"],
  object_types: ["package", "image", "rollout", "device", "tenant"],
};

/** A server that filters and pages like the real one; records every request. */
function backend(over: Record<string, unknown> = {}, pageSize?: number) {
  const requests: AuditRequest[] = [];
  const answers: Record<string, unknown> = { connections_list: connections, audit_access: ACCESS, ...over };
  mockIPC((cmd, args) => {
    if (cmd === "audit_page" && !("audit_page" in answers)) {
      const r = (args as { request: AuditRequest }).request;
      requests.push(r);
      const matching = LOG.filter(
        (e) =>
          (!r.actor || e.actor === r.actor) &&
          (!r.action || e.action === r.action) &&
          (!r.object_type || e.object_type === r.object_type) &&
          (!r.object_id || e.object_id === r.object_id),
      );
      const start = r.after ? matching.findIndex((e) => e.id === r.after) + 1 : 0;
      const size = pageSize ?? r.limit;
      const page: AuditPage = {
        entries: matching.slice(start, start + size),
        has_more: start + size < matching.length,
        fresh: true,
        synced_at_ms: null,
        offline_reason: null,
      };
      return page;
    }
    const answer = answers[cmd];
    if (answer instanceof Error) throw { code: answer.name, message: answer.message };
    return answer ?? null;
  });
  return requests;
}

const rows = () => screen.getAllByTestId("audit-row");

describe("audit screen", () => {
  it("lists who did what on which object, newest first", async () => {
    backend();
    renderApp(<AuditScreen navigate={() => {}} />);
    await waitFor(() => expect(rows()).toHaveLength(6));
    expect(rows()[0]).toHaveTextContent("alice@acme");
    expect(rows()[0]).toHaveTextContent("rollout · pause");
    expect(rows()[0]).toHaveTextContent("rol_1");
    expect(rows()[1]).toHaveTextContent("bob@acme");
    expect(screen.getByTestId("audit-count")).toHaveTextContent("6 entries");
  });

  it("narrows by action and object at once, by person after typing rests", async () => {
    const requests = backend();
    renderApp(<AuditScreen navigate={() => {}} />);
    await waitFor(() => expect(rows()).toHaveLength(6));
    fireEvent.change(screen.getByTestId("audit-action"), { target: { value: "rollout.pause" } });
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(requests[requests.length - 1].action).toBe("rollout.pause");
    expect(screen.getByTestId("audit-count")).toHaveTextContent("1 entry matching");

    fireEvent.click(screen.getByTestId("audit-clear"));
    fireEvent.change(screen.getByTestId("audit-object-type"), { target: { value: "rollout" } });
    fireEvent.change(screen.getByTestId("audit-object-id"), { target: { value: "rol_1" } });
    await waitFor(() => expect(requests[requests.length - 1].object_id).toBe("rol_1"));
    expect(requests[requests.length - 1].object_type).toBe("rollout");
    await waitFor(() => expect(rows()).toHaveLength(2));

    fireEvent.click(screen.getByTestId("audit-clear"));
    fireEvent.change(screen.getByTestId("audit-actor"), { target: { value: "bob@acme" } });
    await waitFor(() => expect(requests[requests.length - 1].actor).toBe("bob@acme"));
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[0]).toHaveTextContent("rollout · create");
  });

  it("asks for a time range in UTC, the end minute included", async () => {
    const requests = backend();
    renderApp(<AuditScreen navigate={() => {}} />);
    await waitFor(() => expect(rows()).toHaveLength(6));
    fireEvent.change(screen.getByTestId("audit-from"), { target: { value: "2026-11-23T09:00" } });
    fireEvent.change(screen.getByTestId("audit-to"), { target: { value: "2026-11-23T11:30" } });
    await waitFor(() => expect(requests[requests.length - 1].until).not.toBeNull());
    const last = requests[requests.length - 1];
    expect(last.since).toBe(new Date(2026, 10, 23, 9, 0).toISOString());
    expect(last.until).toBe(new Date(new Date(2026, 10, 23, 11, 30).getTime() + 59_999).toISOString());
  });

  it("reads older pages after the last entry seen", async () => {
    const requests = backend({}, 4);
    renderApp(<AuditScreen navigate={() => {}} />);
    await waitFor(() => expect(rows()).toHaveLength(6));
    expect(requests.map((r) => r.after)).toEqual([null, "aud_3"]);
  });

  it("opens a row's object: a rollout, a package, a device; an image has no screen", async () => {
    backend();
    const navigate = vi.fn();
    renderApp(<AuditScreen navigate={navigate} />);
    await waitFor(() => expect(rows()).toHaveLength(6));
    const row = (objectId: string) => rows().find((r) => r.dataset.objectId === objectId)!;
    fireEvent.click(row("rol_1"));
    expect(navigate).toHaveBeenLastCalledWith("#/rollouts/rol_1");
    fireEvent.click(row("pkg_1"));
    expect(navigate).toHaveBeenLastCalledWith("#/catalog/pkg_1");
    fireEvent.keyDown(row("dev_1"), { key: "Enter" });
    expect(navigate).toHaveBeenLastCalledWith("#/devices/dev_1");
    navigate.mockClear();
    fireEvent.click(row("img_1"));
    expect(navigate).not.toHaveBeenCalled();
  });

  it("offline, shows the entries seen before and says so", async () => {
    backend({
      audit_page: {
        entries: LOG.slice(0, 2),
        has_more: false,
        fresh: false,
        synced_at_ms: Date.now() - 5 * 60_000,
        offline_reason: "cannot reach http://127.0.0.1:9",
      },
    });
    renderApp(<AuditScreen navigate={() => {}} />);
    expect(await screen.findByTestId("audit-offline")).toHaveTextContent("cannot reach http://127.0.0.1:9");
    expect(screen.getByTestId("audit-offline")).toHaveTextContent("5 min old");
    expect(rows()).toHaveLength(2);
  });

  it("tells a role that cannot read the log so, and asks the server nothing", async () => {
    const requests = backend({ audit_access: { ...ACCESS, allowed: false } });
    renderApp(<AuditScreen navigate={() => {}} />);
    expect(await screen.findByTestId("audit-not-allowed")).toHaveTextContent("admins and support");
    expect(requests).toEqual([]);
  });

  it("shows the server's refusal with its code", async () => {
    backend({ audit_page: Object.assign(new Error("release-manager may not read the audit log"), { name: "PERMISSION_DENIED" }) });
    renderApp(<AuditScreen navigate={() => {}} />);
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("release-manager may not read the audit log");
    expect(alert).toHaveTextContent("PERMISSION_DENIED");
  });
});
