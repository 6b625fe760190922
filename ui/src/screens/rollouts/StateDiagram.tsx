import type { TransitionEntry } from "../../bindings/TransitionEntry";
import { formatTime } from "../../lib/format";

/** "16:45:12" for a transition's time; the full date is in the tooltip. */
function clock(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}
import { ROLLOUT_STATUS_LABEL, TRIGGER_LABEL } from "./model";

// Seed 000's state diagram, laid out as a square: the way up on top, the ends below.
const W = 116;
const H = 36;
const NODES: Record<string, { x: number; y: number }> = {
  active: { x: 40, y: 34 },
  paused: { x: 316, y: 34 },
  completed: { x: 40, y: 152 },
  rolling_back: { x: 316, y: 152 },
};
const cx = (s: string) => NODES[s].x + W / 2;
const cy = (s: string) => NODES[s].y + H / 2;
const RIGHT = NODES.active.x + W;
const LOW = NODES.active.y + H;

interface Edge {
  id: string;
  from: string | null;
  to: string;
  triggers: string[];
  path: string;
  label: string;
  lx: number;
  ly: number;
  anchor?: "start" | "middle" | "end";
}

const EDGES: Edge[] = [
  { id: "start", from: null, to: "active", triggers: ["start"], path: `M 18 ${cy("active")} L 40 ${cy("active")}`, label: "", lx: 0, ly: 0 },
  {
    id: "pause",
    from: "active",
    to: "paused",
    triggers: ["pause", "auto_pause"],
    path: `M ${RIGHT} ${cy("active") - 7} L 316 ${cy("active") - 7}`,
    label: "pause · auto-pause",
    lx: 236,
    ly: cy("active") - 12,
  },
  {
    id: "resume",
    from: "paused",
    to: "active",
    triggers: ["resume"],
    path: `M 316 ${cy("active") + 7} L ${RIGHT} ${cy("active") + 7}`,
    label: "resume",
    lx: 236,
    ly: cy("active") + 21,
  },
  {
    id: "advance",
    from: "active",
    to: "active",
    triggers: ["advance"],
    path: `M ${cx("active") - 18} 34 C ${cx("active") - 18} 6, ${cx("active") + 18} 6, ${cx("active") + 18} 34`,
    label: "advance",
    lx: cx("active") + 26,
    ly: 14,
    anchor: "start",
  },
  {
    id: "rollback-active",
    from: "active",
    to: "rolling_back",
    triggers: ["rollback"],
    path: `M ${RIGHT - 6} ${LOW} L 328 152`,
    label: "rollback",
    lx: 246,
    ly: 106,
    anchor: "start",
  },
  {
    id: "rollback-paused",
    from: "paused",
    to: "rolling_back",
    triggers: ["rollback"],
    path: `M ${cx("paused") + 20} ${LOW} L ${cx("paused") + 20} 152`,
    label: "rollback",
    lx: cx("paused") + 26,
    ly: 116,
    anchor: "start",
  },
  {
    id: "all-succeeded",
    from: "active",
    to: "completed",
    triggers: ["all_succeeded"],
    path: `M ${cx("active") - 20} ${LOW} L ${cx("active") - 20} 152`,
    label: "succeeded",
    lx: cx("active") - 26,
    ly: 116,
    anchor: "end",
  },
  {
    // Every device of the whole rollout has a verdict, some of them failed (at or below the
    // threshold, or resumed past it): the rollout finishes with outcome some_failed.
    id: "all-decided",
    from: "active",
    to: "completed",
    triggers: ["finished_with_failures"],
    path: `M ${cx("active") + 14} ${LOW} L ${cx("active") + 14} 152`,
    label: "all decided",
    lx: cx("active") + 20,
    ly: 116,
    anchor: "start",
  },
  {
    id: "rollback-finished",
    from: "rolling_back",
    to: "completed",
    triggers: ["rollback_finished"],
    path: `M 316 ${cy("completed")} L ${RIGHT} ${cy("completed")}`,
    label: "rollback finished",
    lx: 236,
    ly: cy("completed") - 6,
  },
  { id: "end", from: "completed", to: "end", triggers: [], path: `M 40 ${cy("completed")} L 22 ${cy("completed")}`, label: "", lx: 0, ly: 0 },
];

function edgeOf(t: TransitionEntry): Edge | undefined {
  return EDGES.find((e) => e.from === t.from && e.to === t.to && e.triggers.includes(t.trigger));
}

/** The diagram with the current state highlighted and each transition taken numbered on its
 *  edge; the numbered list beside it says when and who. */
export function StateDiagram({ status, outcome = null, transitions }: { status: string; outcome?: string | null; transitions: TransitionEntry[] }) {
  const taken = new Map<string, number[]>();
  transitions.forEach((t, i) => {
    const e = edgeOf(t);
    if (e) taken.set(e.id, [...(taken.get(e.id) ?? []), i + 1]);
  });
  const completed = status === "completed";
  return (
    <div className="diagram-panel" data-testid="state-diagram" data-status={status}>
      <svg viewBox="0 0 478 196" role="img" aria-labelledby="diagram-title diagram-desc" className="state-diagram">
        <title id="diagram-title">Rollout state diagram</title>
        <desc id="diagram-desc">
          Current state: {ROLLOUT_STATUS_LABEL[status] ?? status}. {transitions.length} transition{transitions.length === 1 ? "" : "s"} taken.
        </desc>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrow-head" />
          </marker>
          <marker id="arrow-taken" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrow-head taken" />
          </marker>
        </defs>
        <circle cx={12} cy={cy("active")} r={6} className="pseudo-state" />
        <circle cx={13} cy={cy("completed")} r={8} className={completed ? "pseudo-end reached" : "pseudo-end"} />
        <circle cx={13} cy={cy("completed")} r={4} className="pseudo-state" />
        {EDGES.map((e) => {
          const steps = taken.get(e.id) ?? (e.id === "end" && completed ? [0] : undefined);
          const cls = steps ? "edge taken" : "edge";
          return (
            <g key={e.id} className={cls} data-edge={e.id} data-taken={steps ? "true" : undefined}>
              <path d={e.path} markerEnd={`url(#${steps ? "arrow-taken" : "arrow"})`} />
              {e.label && (
                <text x={e.lx} y={e.ly} textAnchor={e.anchor ?? "middle"} className="edge-label">
                  {e.label}
                  {steps && steps[0] > 0 ? ` (${steps.join(", ")})` : ""}
                </text>
              )}
            </g>
          );
        })}
        {Object.entries(NODES).map(([id, n]) => {
          const current = id === status;
          // The completed node takes the outcome's colour: green only for a clean success.
          const tone = current && id === "completed" && outcome && outcome !== "succeeded" ? `o-${outcome}` : `s-${id}`;
          return (
            <g key={id} className={current ? `node current ${tone}` : "node"} data-outcome={current && outcome ? outcome : undefined} data-node={id} aria-current={current ? "true" : undefined}>
              <rect x={n.x} y={n.y} width={W} height={H} rx={8} />
              <text x={n.x + W / 2} y={n.y + H / 2 + 5} textAnchor="middle">
                {ROLLOUT_STATUS_LABEL[id]}
              </text>
            </g>
          );
        })}
      </svg>
      <ol className="transition-list" aria-label="Transitions taken" data-testid="transitions">
        {transitions.map((t, i) => (
          <li key={`${t.at}-${i}`}>
            <span className="step-no">{i + 1}</span>
            <span>
              <strong>{TRIGGER_LABEL[t.trigger] ?? t.trigger}</strong>
              {t.trigger === "start" || t.trigger === "advance" ? ` · ${t.canary_percent} %` : ""}
              <br />
              <span className="muted">
                <time dateTime={t.at} title={formatTime(t.at)}>
                  {clock(t.at)}
                </time>{" "}
                · <span title={t.actor === "system" ? "the server, by rule" : t.actor_role}>{t.actor}</span>
              </span>
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
