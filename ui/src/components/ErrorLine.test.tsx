import { screen, waitFor } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectionList } from "../bindings/ConnectionList";
import { useConnections } from "../lib/queries";
import { connections } from "../test/fixtures";
import { renderApp } from "../test/render";
import { ErrorLine } from "./ErrorLine";

afterEach(() => clearMocks());

const REFUSED = { connection: "prod", message: "the server refused this connection's token" };
const unauthenticated = { code: "UNAUTHENTICATED", message: "this API token has been revoked" } as const;
const unavailable = { code: "OFFLINE", message: "the server did not answer" } as const;

/** The error lines of a screen, once the connection record is in. */
function Screen() {
  const loaded = useConnections().isSuccess;
  return (
    <div data-testid={loaded ? "loaded" : "loading"}>
      <ErrorLine error={unauthenticated} context="Could not load the progress" />
      <ErrorLine error={unavailable} />
    </div>
  );
}

async function renderWith(list: ConnectionList) {
  mockIPC((cmd) => (cmd === "connections_list" ? list : null));
  renderApp(<Screen />);
  await waitFor(() => expect(screen.getByTestId("loaded")).toBeInTheDocument());
}

describe("ErrorLine", () => {
  it("says a failure with its code", async () => {
    await renderWith(connections);
    const lines = screen.getAllByRole("alert");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveTextContent("Could not load the progress: this API token has been revoked UNAUTHENTICATED");
    expect(lines[1]).toHaveTextContent("the server did not answer OFFLINE");
  });

  it("does not repeat the refused-token banner, and still says every other failure", async () => {
    await renderWith({ ...connections, token_refused: REFUSED });
    const lines = screen.getAllByRole("alert");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toHaveTextContent("OFFLINE");
  });
});
