import type { ReactNode } from "react";

export type SectionId = "catalog" | "rollouts" | "devices" | "settings";

export const SECTIONS: { id: SectionId; label: string; key: string }[] = [
  { id: "catalog", label: "Catalog", key: "1" },
  { id: "rollouts", label: "Rollouts", key: "2" },
  { id: "devices", label: "Devices", key: "3" },
  { id: "settings", label: "Settings", key: "4" },
];

interface SidebarProps {
  active: SectionId;
  onSelect: (id: SectionId) => void;
  version?: string;
  connection: ReactNode;
}

export function Sidebar({ active, onSelect, version, connection }: SidebarProps) {
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="logo" aria-hidden="true">
          ▲
        </span>
        <span>Airlift</span>
      </div>
      <ul>
        {SECTIONS.map((s) => (
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
