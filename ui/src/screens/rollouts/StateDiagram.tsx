import type { TransitionEntry } from "../../bindings/TransitionEntry";
import { formatTime } from "../../lib/format";
import { ROLLOUT_STATUS_LABEL, TRIGGER_LABEL } from "./model";

// Seed 000's state diagram, laid out as a square: the way up on top, the ends below.
const W = 132;
const H = 40;
const NODES: Record<string, { x: number; y: number }> = {
  active: { x: 84, y: 40 },
  paused: { x: 372, y: 40 },
  completed: { x: 84, y: 176 },
  rolling_back: { x: 372, y: 176 },
};
const cx = (s: string) => NODES[s].x + W / 2;
const cy = (s: string) => NODES[s].y + H / 2;

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
  { id: "start", from: null, to: "active", triggers: ["start"], path: `M 36 ${cy("active")} L 84 ${cy("active")}`, label: "start", lx: 56, ly: cy("active") - 8 },
  {
    id: "pause",
    from: "active",
    to: "paused",
    triggers: ["pause", "auto_pause"],
    path: `M 216 ${cy("active") - 8} L 372 ${cy("active") - 8}`,
    label: "pause · auto-pause",
    lx: 294,
    ly: cy("active") - 14,
  },
  {
    id: "resume",
    from: "paused",
    to: "active",
    triggers: ["resume"],
    path: `M 372 ${cy("active") + 8} L 216 ${cy("active") + 8}`,
    label: "resume",
    lx: 294,
    ly: cy("active") + 22,
  },
  {
    id: "advance",
    from: "active",
    to: "active",
    triggers: ["advance"],
    path: `M 124 40 C 124 8, 176 8, 176 40`,
    label: "advance",
    lx: 150,
    ly: 12,
  },
  {
    id: "rollback-active",
    from: "active",
    to: "rolling_back",
    triggers: ["rollback"],
    path: `M 200 80 L 384 176`,
    label: "rollback",
    lx: 300,
    ly: 122,
    anchor: "start",
  },
  {
    id: "rollback-paused",
    from: "paused",
    to: "rolling_back",
    triggers: ["rollback"],
    path: `M ${cx("paused") + 20} 80 L ${cx("paused") + 20} 176`,
    label: "rollback",
    lx: cx("paused") + 26,
    ly: 132,
    anchor: "start",
  },
  {
    id: "all-succeeded",
    from: "active",
    to: "completed",
    triggers: ["all_succeeded"],
    path: `M ${cx("active") - 20} 80 L ${cx("active") - 20} 176`,
    label: "all devices successful",
    lx: cx("active") - 14,
    ly: 132,
    anchor: "start",
  },
  {
    id: "rollback-finished",
    from: "rolling_back",
    to: "completed",
    triggers: ["rollback_finished"],
    path: `M 372 ${cy("completed")} L 216 ${cy("completed")}`,
    label: "rollback finished",
    lx: 294,
    ly: cy("completed") - 7,
  },
  { id: "end", from: "completed", to: "end", triggers: [], path: `M 84 ${cy("completed")} L 38 ${cy("completed")}`, label: "", lx: 0, ly: 0 },
];

function edgeOf(t: TransitionEntry): Edge | undefined {
  return EDGES.find((e) => e.from === t.from && e.to === t.to && e.triggers.includes(t.trigger));
}

/** The diagram with the current state highlighted and each transition taken numbered on its
 *  edge; the numbered list beside it says when and who. */
export function StateDiagram({ status, transitions }: { status: string; transitions: TransitionEntry[] }) {
  const taken = new Map<string, number[]>();
  transitions.forEach((t, i) => {
    const e = edgeOf(t);
    if (e) taken.set(e.id, [...(taken.get(e.id) ?? []), i + 1]);
  });
  const completed = status === "completed";
  return (
    <div className="diagram-panel" data-testid="state-diagram" data-status={status}>
      <svg viewBox="0 0 520 232" role="img" aria-labelledby="diagram-title diagram-desc" className="state-diagram">
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
        <circle cx={30} cy={cy("active")} r={6} className="pseudo-state" />
        <circle cx={30} cy={cy("completed")} r={8} className={completed ? "pseudo-end reached" : "pseudo-end"} />
        <circle cx={30} cy={cy("completed")} r={4} className="pseudo-state" />
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
          return (
            <g key={id} className={current ? `node current s-${id}` : "node"} data-node={id} aria-current={current ? "true" : undefined}>
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
                {formatTime(t.at)} · {t.actor === "system" ? "system" : `${t.actor} (${t.actor_role})`}
              </span>
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
