export type SectionId = "catalog" | "rollouts" | "devices" | "settings";

export const SECTIONS: { id: SectionId; label: string; emptyHint: string }[] = [
  {
    id: "catalog",
    label: "Catalog",
    emptyHint: "Verified packages appear here once a fleet server is connected.",
  },
  {
    id: "rollouts",
    label: "Rollouts",
    emptyHint: "Staged rollouts and their live progress appear here.",
  },
  {
    id: "devices",
    label: "Devices",
    emptyHint: "Search any device and read its update history here.",
  },
  {
    id: "settings",
    label: "Settings",
    emptyHint: "Server connections and the local demo fleet are managed here.",
  },
];

interface SidebarProps {
  active: SectionId;
  onSelect: (id: SectionId) => void;
  version?: string;
}

export function Sidebar({ active, onSelect, version }: SidebarProps) {
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
              onClick={() => onSelect(s.id)}
            >
              {s.label}
            </button>
          </li>
        ))}
      </ul>
      <div className="version" data-testid="app-version">
        {version ? `v${version}` : ""}
      </div>
    </nav>
  );
}
