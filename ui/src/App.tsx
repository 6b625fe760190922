import { useEffect, useState } from "react";
import { appInfo, type AppError, type AppInfo } from "./ipc";
import { Sidebar, SECTIONS, type SectionId } from "./Sidebar";

export function App() {
  const [section, setSection] = useState<SectionId>("catalog");
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  useEffect(() => {
    appInfo().then(setInfo, setError);
  }, []);

  const current = SECTIONS.find((s) => s.id === section) ?? SECTIONS[0];

  return (
    <div className="shell">
      <Sidebar active={section} onSelect={setSection} version={info?.version} />
      <main className="content" aria-labelledby="section-title">
        <h1 id="section-title">{current.label}</h1>
        {error && (
          <p role="alert" className="error">
            {error.message} <code>{error.code}</code>
          </p>
        )}
        <section className="empty-state" data-testid="empty-state">
          <h2>No fleet connected</h2>
          <p>{current.emptyHint}</p>
        </section>
      </main>
    </div>
  );
}
