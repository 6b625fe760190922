import { fireEvent, screen, within } from "@testing-library/react";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach } from "vitest";
import { connections } from "../../test/fixtures";
import { renderApp } from "../../test/render";
import { ApiTokensSection } from "./ApiTokensSection";

afterEach(() => clearMocks());

const CI = {
  id: "tok_1",
  name: "nightly pipeline",
  role: "release-manager",
  created_at: "2026-12-01T10:00:00Z",
  expires_at: "2027-03-01T10:00:00Z",
  last_used_at: "2026-12-06T08:00:00Z",
  revoked_at: null,
};
const SECRET = "aat_eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic3VwcG9ydCJ9.c2ln";

describe("API tokens in settings", () => {
  it("lists tokens without secrets, makes one and shows its secret once, revokes one", async () => {
    const tokens: Record<string, unknown>[] = [{ ...CI }];
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "api_tokens_list":
          return tokens.map((t) => ({ ...t }));
        case "api_token_create": {
          calls.push([cmd, args]);
          const made = { id: "tok_2", name: "support desk", role: "support", created_at: "2026-12-07T10:00:00Z", expires_at: "2027-01-06T10:00:00Z" };
          tokens.unshift({ ...made, last_used_at: null, revoked_at: null });
          return { ...made, token: SECRET };
        }
        case "api_token_revoke":
          calls.push([cmd, args]);
          tokens[tokens.length - 1].revoked_at = "2026-12-07T11:00:00Z";
          return null;
      }
    });
    renderApp(<ApiTokensSection />);
    const row = await screen.findByTestId("api-token-nightly pipeline");
    expect(row).toHaveTextContent("Release manager");
    expect(row).toHaveTextContent("last used");

    fireEvent.click(screen.getByTestId("create-token"));
    fireEvent.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByText(/Name the token/)).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: " support desk " } });
    // Named: the error about the empty name goes as soon as the name is edited.
    expect(screen.queryByText(/Name the token/)).toBeNull();
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "support" } });
    fireEvent.change(screen.getByLabelText("Expires after"), { target: { value: "30" } });
    fireEvent.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByTestId("new-token-secret")).toHaveTextContent(SECRET);
    expect(screen.getByTestId("new-token")).toHaveTextContent("not shown again");
    expect(calls[0]).toEqual(["api_token_create", { token: { name: "support desk", role: "support", expires_in_days: 30 } }]);
    expect(await screen.findByTestId("api-token-support desk")).toHaveTextContent("never used");

    // Done: the secret is gone from the screen for good.
    fireEvent.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByTestId("new-token-secret")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);

    fireEvent.click(screen.getByTestId("revoke-nightly pipeline"));
    fireEvent.click(screen.getByTestId("confirm-revoke-nightly pipeline"));
    const revoked = await screen.findByText(/Revoked/);
    expect(within(revoked.closest("li") as HTMLElement).queryByRole("button")).toBeNull();
    expect(calls[1]).toEqual(["api_token_revoke", { id: "tok_1" }]);
  });

  it("tells a non-admin that only admins manage tokens", async () => {
    mockIPC((cmd) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "api_tokens_list":
          throw { code: "PERMISSION_DENIED", message: "role support may not do this" };
      }
    });
    renderApp(<ApiTokensSection />);
    expect(await screen.findByTestId("tokens-admin-only")).toBeInTheDocument();
    expect(screen.queryByTestId("create-token")).toBeNull();
  });

  it("takes a refused token's error away once the form is edited", async () => {
    mockIPC((cmd) => {
      switch (cmd) {
        case "connections_list":
          return connections;
        case "api_tokens_list":
          return [{ ...CI }];
        case "api_token_create":
          throw { code: "PERMISSION_DENIED", message: "a release manager may not make admin tokens" };
      }
    });
    renderApp(<ApiTokensSection />);
    fireEvent.click(await screen.findByTestId("create-token"));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "ops" } });
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "admin" } });
    fireEvent.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("may not make admin tokens PERMISSION_DENIED");
    // The refusal was about an admin token: another role is another request.
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "support" } });
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
