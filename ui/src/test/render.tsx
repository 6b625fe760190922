import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { AppProviders, makeQueryClient } from "../AppProviders";

/** Renders inside the app's providers with a fresh query cache. */
export function renderApp(ui: ReactElement) {
  return render(<AppProviders client={makeQueryClient()}>{ui}</AppProviders>);
}
