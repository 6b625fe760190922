import type { TransitionEntry } from "../../bindings/TransitionEntry";
import { formatTime } from "../../lib/format";

/** "16:45:12" for a transition's time; the full date is in the tooltip. */
function clock(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}
import { ROLLOUT_STATUS_LABEL, TRIGGER_LABEL } from "./model";

// The rollout state machine (airlift-core's `RolloutStatus::next`): seed 000's square (the way
// up on top, the ends below) with milestone 2's scheduled start on the left and cancel, the
// second end state, below it.
const W = 116;
const H = 36;
const ROW0 = 50;
const ROW1 = 170;
const NODES: Record<string, { x: number; y: number }> = {
  scheduled: { x: 20, y: ROW0 },
  active: { x: 196, y: ROW0 },
  paused: { x: 464, y: ROW0 },
  cancelled: { x: 20, y: ROW1 },
  completed: { x: 196, y: ROW1 },
  rolling_back: { x: 464, y: ROW1 },
};
const cx = (s: string) => NODES[s].x + W / 2;
const cy = (s: string) => NODES[s].y + H / 2;
const right = (s: string) => NODES[s].x + W;
const bottom = (s: string) => NODES[s].y + H;
/** The initial pseudo-state, between the two states a rollout is created in. */
const INIT = { x: 166, y: 18 };
/** Where a completed or cancelled rollout ends. */
const END_COMPLETED = { x: 179, y: cy("completed") };
const END_CANCELLED = { x: 20 + W / 2, y: ROW1 + H + 22 };
const RAIL = 244;

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
  {
    id: "start",
    from: null,
    to: "active",
    triggers: ["start"],
    path: `M ${INIT.x + 5} ${INIT.y + 4} L ${NODES.active.x + 14} ${ROW0}`,
    label: "start",
    lx: INIT.x + 22,
    ly: INIT.y + 6,
    anchor: "start",
  },
  {
    id: "schedule",
    from: null,
    to: "scheduled",
    triggers: ["schedule"],
    path: `M ${INIT.x - 5} ${INIT.y + 4} L ${right("scheduled") - 14} ${ROW0}`,
    label: "start later",
    lx: INIT.x - 18,
    ly: INIT.y + 6,
    anchor: "end",
  },
  {
    id: "start-at",
    from: "scheduled",
    to: "active",
    triggers: ["start_at_reached"],
    path: `M ${right("scheduled")} ${cy("active")} L ${NODES.active.x} ${cy("active")}`,
    label: "its time",
    lx: (right("scheduled") + NODES.active.x) / 2,
    ly: cy("active") + 16,
  },
  {
    id: "pause",
    from: "active",
    to: "paused",
    triggers: ["pause", "auto_pause"],
    path: `M ${right("active")} ${cy("active") - 7} L ${NODES.paused.x} ${cy("active") - 7}`,
    label: "pause · auto-pause",
    lx: (right("active") + NODES.paused.x) / 2,
    ly: cy("active") - 12,
  },
  {
    id: "resume",
    from: "paused",
    to: "active",
    triggers: ["resume"],
    path: `M ${NODES.paused.x} ${cy("active") + 7} L ${right("active")} ${cy("active") + 7}`,
    label: "resume",
    lx: (right("active") + NODES.paused.x) / 2,
    ly: cy("active") + 21,
  },
  {
    id: "advance",
    from: "active",
    to: "active",
    triggers: ["advance"],
    path: `M ${cx("active") + 8} ${ROW0} C ${cx("active") + 8} ${ROW0 - 28}, ${cx("active") + 44} ${ROW0 - 28}, ${cx("active") + 44} ${ROW0}`,
    label: "advance",
    lx: cx("active") + 50,
    ly: ROW0 - 16,
    anchor: "start",
  },
  {
    id: "rollback-active",
    from: "active",
    to: "rolling_back",
    triggers: ["rollback"],
    path: `M ${right("active") - 6} ${bottom("active")} L ${NODES.rolling_back.x + 12} ${ROW1}`,
    label: "rollback",
    lx: 384,
    ly: 120,
    anchor: "start",
  },
  {
    id: "rollback-paused",
    from: "paused",
    to: "rolling_back",
    triggers: ["rollback"],
    path: `M ${cx("paused") + 20} ${bottom("paused")} L ${cx("paused") + 20} ${ROW1}`,
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
    path: `M ${cx("active") - 20} ${bottom("active")} L ${cx("active") - 20} ${ROW1}`,
    label: "succeeded",
    lx: cx("active") - 26,
    ly: 132,
    anchor: "end",
  },
  {
    // Every device of the whole rollout has a verdict, some of them failed (at or below the
    // threshold, or resumed past it): the rollout finishes with outcome some_failed.
    id: "all-decided",
    from: "active",
    to: "completed",
    triggers: ["finished_with_failures"],
    path: `M ${cx("active") + 14} ${bottom("active")} L ${cx("active") + 14} ${ROW1}`,
    label: "all decided",
    lx: cx("active") + 20,
    ly: 132,
    anchor: "start",
  },
  {
    id: "rollback-finished",
    from: "rolling_back",
    to: "completed",
    triggers: ["rollback_finished"],
    path: `M ${NODES.rolling_back.x} ${cy("completed")} L ${right("completed")} ${cy("completed")}`,
    label: "rollback finished",
    lx: (right("completed") + NODES.rolling_back.x) / 2,
    ly: cy("completed") - 6,
  },
  {
    id: "cancel-scheduled",
    from: "scheduled",
    to: "cancelled",
    triggers: ["cancel"],
    path: `M ${cx("scheduled") - 20} ${bottom("scheduled")} L ${cx("scheduled") - 20} ${ROW1}`,
    label: "cancel",
    lx: cx("scheduled") - 26,
    ly: 132,
    anchor: "end",
  },
  {
    id: "cancel-active",
    from: "active",
    to: "cancelled",
    triggers: ["cancel"],
    path: `M ${NODES.active.x + 8} ${bottom("active")} L ${right("cancelled") - 10} ${ROW1}`,
    label: "cancel",
    lx: cx("scheduled") + 10,
    ly: 132,
    anchor: "start",
  },
  {
    // Around the bottom: the way from paused to cancelled crosses nothing else.
    id: "cancel-paused",
    from: "paused",
    to: "cancelled",
    triggers: ["cancel"],
    path: `M ${right("paused")} ${cy("paused") + 10} H ${right("paused") + 14} V ${RAIL} H ${cx("cancelled") + 24} V ${bottom("cancelled")}`,
    label: "cancel",
    lx: (cx("cancelled") + right("paused")) / 2 + 40,
    ly: RAIL - 5,
  },
  { id: "end", from: "completed", to: "end", triggers: [], path: `M ${NODES.completed.x} ${cy("completed")} L ${END_COMPLETED.x + 9} ${cy("completed")}`, label: "", lx: 0, ly: 0 },
  { id: "end-cancelled", from: "cancelled", to: "end", triggers: [], path: `M ${cx("cancelled") - 20} ${bottom("cancelled")} L ${cx("cancelled") - 20} ${END_CANCELLED.y - 9}`, label: "", lx: 0, ly: 0 },
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
  const cancelled = status === "cancelled";
  return (
    <div className="diagram-panel" data-testid="state-diagram" data-status={status}>
      <svg viewBox="0 0 600 262" role="img" aria-labelledby="diagram-title diagram-desc" className="state-diagram">
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
        <circle cx={INIT.x} cy={INIT.y} r={6} className="pseudo-state" />
        <circle cx={END_COMPLETED.x} cy={END_COMPLETED.y} r={8} className={completed ? "pseudo-end reached" : "pseudo-end"} />
        <circle cx={END_COMPLETED.x} cy={END_COMPLETED.y} r={4} className="pseudo-state" />
        <circle cx={cx("cancelled") - 20} cy={END_CANCELLED.y} r={8} className={cancelled ? "pseudo-end reached" : "pseudo-end"} />
        <circle cx={cx("cancelled") - 20} cy={END_CANCELLED.y} r={4} className="pseudo-state" />
        {EDGES.map((e) => {
          const reachedEnd = (e.id === "end" && completed) || (e.id === "end-cancelled" && cancelled);
          const steps = taken.get(e.id) ?? (reachedEnd ? [0] : undefined);
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
