import type { ReactNode } from "react";

export type SectionId = "dashboard" | "catalog" | "rollouts" | "devices" | "audit" | "settings";

/** The sections in sidebar order; the dashboard is the start screen. */
export const SECTIONS: { id: SectionId; label: string; key: string }[] = [
  { id: "dashboard", label: "Dashboard", key: "1" },
  { id: "catalog", label: "Catalog", key: "2" },
  { id: "rollouts", label: "Rollouts", key: "3" },
  { id: "devices", label: "Devices", key: "4" },
  { id: "audit", label: "Audit", key: "5" },
  { id: "settings", label: "Settings", key: "6" },
];

interface SidebarProps {
  active: SectionId;
  onSelect: (id: SectionId) => void;
  version?: string;
  connection: ReactNode;
  /** Sections this connection's role has no use for (the audit log for a release manager). */
  hidden?: SectionId[];
}

export function Sidebar({ active, onSelect, version, connection, hidden = [] }: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="logo" aria-hidden="true">
          ▲
        </span>
        <span>Airlift</span>
      </div>
      <ul>
        {SECTIONS.filter((s) => !hidden.includes(s.id)).map((s) => (
          <li key={s.id}>
            <button
              type="button"
              className={s.id === active ? "nav-item active" : "nav-item"}
              aria-current={s.id === active ? "page" : undefined}
              aria-keyshortcuts={`Alt+${s.key}`}
              onClick={() => onSelect(s.id)}
            >
              {s.label}
            </button>
          </li>
        ))}
      </ul>
      {connection}
      <div className="version" data-testid="app-version">
        {version ? `v${version}` : ""}
      </div>
    </nav>
  );
}
