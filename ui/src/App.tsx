import { useEffect, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { appInfo, type AppError } from "./ipc";
import { useAppEvents } from "./lib/appEvents";
import { useAuditAccess } from "./lib/auditAccess";
import { leaveThen, routeHash, useRoute } from "./lib/route";
import { AuditScreen } from "./screens/audit/AuditScreen";
import { CatalogScreen } from "./screens/catalog/CatalogScreen";
import { DashboardScreen } from "./screens/dashboard/DashboardScreen";
import { DevicesScreen } from "./screens/devices/DevicesScreen";
import { RolloutsScreen } from "./screens/rollouts/RolloutsScreen";
import { SettingsScreen } from "./screens/settings/SettingsScreen";
import { useUpload } from "./screens/upload/UploadProvider";
import { UploadScreen } from "./screens/upload/UploadScreen";
import { ConnectionStatus } from "./shell/ConnectionStatus";
import { Sidebar, SECTIONS, type SectionId } from "./shell/Sidebar";
import { StatusBar } from "./shell/StatusBar";
import { TokenRefusedBanner } from "./shell/TokenRefusedBanner";
import { useAutoDemo } from "./shell/useAutoDemo";
import { ErrorLine } from "./components/ErrorLine";

export function App() {
  // The section (and the object it shows) lives in the URL hash: #/devices/<id>, #/rollouts/<id>.
  const [route, navigate] = useRoute();
  const section = route.section;
  const setSection = (id: SectionId) => navigate(routeHash(id));
  // Choosing a section in the sidebar opens its start page, even when it is already shown.
  const [visit, setVisit] = useState(0);
  // A screen with unsaved input (the rollout wizard) is asked first (lib/route.ts).
  const select = (id: SectionId) =>
    leaveThen(() => {
      setSection(id);
      setVisit((v) => v + 1);
    });
  useAppEvents(navigate);
  const info = useQuery({ queryKey: ["app-info"], queryFn: appInfo, staleTime: Infinity });
  const upload = useUpload();
  const error = info.error as AppError | null;
  const demo = useAutoDemo(info.data?.start_demo);
  // The audit log is for admins and support: others do not see its entry.
  const auditAccess = useAuditAccess();
  const auditAllowed = auditAccess.data?.allowed ?? false;
  const hidden = useMemo<SectionId[]>(() => (auditAllowed ? [] : ["audit"]), [auditAllowed]);

  // Alt+1…6 jump between sections (the ones shown).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      const target = SECTIONS.find((s) => s.key === e.key && !hidden.includes(s.id));
      if (target) {
        e.preventDefault();
        navigate(routeHash(target.id));
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navigate, hidden]);

  const openSettings = () => setSection("settings");
  const openUpload = () => {
    setSection("catalog");
    upload.openWizard();
  };

  return (
    // data-audit-access: whether the role's answer is in (tests wait for it before looking for
    // the Audit entry's absence).
    <div className="shell" data-audit-access={auditAccess.isSuccess ? String(auditAllowed) : "unknown"}>
      <Sidebar
        active={section}
        onSelect={select}
        version={info.data?.version}
        connection={<ConnectionStatus onOpenSettings={openSettings} />}
        hidden={hidden}
      />
      <main className="content" aria-labelledby="section-title">
        <TokenRefusedBanner onOpenSettings={openSettings} />
        {error && (
          <ErrorLine error={error} />
        )}
        {section === "dashboard" && <DashboardScreen navigate={navigate} onOpenSettings={openSettings} />}
        {section === "catalog" &&
          (upload.open ? (
            // A package the wizard published opens as `#/catalog/<id>`, like a link to one.
            <UploadScreen onShowPackage={(id) => navigate(routeHash("catalog", id))} />
          ) : (
            <CatalogScreen
              key={route.id ?? ""}
              selectedAtStart={route.id}
              onOpenSettings={openSettings}
              onOpenUpload={() => upload.openWizard()}
            />
          ))}
        {section === "rollouts" && <RolloutsScreen key={visit} onOpenSettings={openSettings} />}
        {section === "devices" && (
          <DevicesScreen deviceId={route.id} navigate={navigate} onOpenSettings={openSettings} />
        )}
        {section === "audit" && <AuditScreen navigate={navigate} />}
        {section === "settings" && <SettingsScreen />}
      </main>
      <StatusBar
        onOpenUpload={openUpload}
        notice={
          demo === "starting"
            ? "Starting the local demo fleet…"
            : demo === "failed"
              ? "The local demo fleet did not start: see Settings"
              : undefined
        }
      />
    </div>
  );
}
