//! State-machine test of `RolloutAggregate` against a small, independently written reference
//! model of a rollout simulation.
//!
//! Operations: operator pause / resume / advance / rollback / finish-rollback / cancel, a
//! scheduled rollout's start, the commands going
//! out to the scheduled devices, device reports (progress, success, failure, observed version) and timeouts,
//! for any device including one that is not a target. Illegal operations are generated on
//! purpose: the reference predicts whether each one is accepted, and the aggregate must agree.
//!
//! After every step we check: the status moved only along seed 000's edges; counters equal the
//! per-device states; the slice is exactly ceil(percent × targets / 100) targets; nothing is
//! scheduled or sent unless active; a completed rollout never changes; a rejected operation
//! changes nothing; auto-pause fires exactly when a new failure, recorded while active,
//! makes the rule hold (so at the first crossing, once); an active rollout never sits with
//! every target decided (it completes), and the completing trigger tells the outcome: all
//! succeeded, some failed, or rolled back.
//!
//! The server never holds a whole rollout in memory: for each change it restores the aggregate
//! from its counters and tracks only the device the change is about. So every step is also
//! replayed on such a sparse aggregate, which must decide exactly what the full one decides.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::install_status::ReportOutcome;
use airlift_core::policy::{canary_slice, should_auto_pause};
use airlift_core::rollout::{RolloutOutcome, RolloutStatus, RolloutTrigger};
use airlift_core::rollout_aggregate::{RolloutAggregate, RolloutEvent};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};

// ---------------------------------------------------------------------------------------------
// Reference model: deliberately naive (vectors, linear scans, its own arithmetic).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dev {
    Sched,
    Sent,
    Prog,
    Ok,
    Fail,
    Timeout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Active,
    Paused,
    RollingBack,
    Completed,
    Scheduled,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Expect {
    accepted: bool,
    auto_paused: bool,
}

#[derive(Clone, Debug)]
struct Model {
    status: Status,
    percent: u32,
    threshold: u32,
    /// Verdicts before the threshold applies.
    min_devices: usize,
    /// One slot per target; `None` = not scheduled yet.
    devs: Vec<Option<Dev>>,
    /// What the last operation should have done.
    expect: Expect,
}

#[derive(Clone, Debug)]
enum Op {
    Pause,
    Resume,
    Advance(u32),
    Rollback,
    FinishRollback,
    SendAll,
    Report(usize, ReportOutcome),
    TimeOut(usize),
    Cancel,
    StartNow,
}

impl Model {
    fn slice(&self) -> usize {
        // ceil(p × n / 100) the long way round: the smallest k with k × 100 >= p × n.
        let want = self.percent as usize * self.devs.len();
        (0..=self.devs.len())
            .find(|k| k * 100 >= want)
            .unwrap_or(self.devs.len())
    }

    fn schedule(&mut self) {
        let k = self.slice();
        for slot in self.devs.iter_mut().take(k) {
            if slot.is_none() {
                *slot = Some(Dev::Sched);
            }
        }
    }

    fn count(&self, f: impl Fn(Dev) -> bool) -> usize {
        self.devs.iter().flatten().filter(|d| f(**d)).count()
    }

    /// Every target is in the slice and has a verdict.
    fn is_final(&self) -> bool {
        matches!(self.status, Status::Completed | Status::Cancelled)
    }

    fn all_decided(&self) -> bool {
        self.devs
            .iter()
            .all(|d| matches!(d, Some(Dev::Ok | Dev::Fail | Dev::Timeout)))
    }

    /// Apply a device's new state and the rollout-level consequences.
    fn set_dev(&mut self, i: usize, from: Dev, to: Dev) {
        self.devs[i] = Some(to);
        let was_failed = matches!(from, Dev::Fail | Dev::Timeout);
        let is_failed = matches!(to, Dev::Fail | Dev::Timeout);
        let verdict = |d: Dev| matches!(d, Dev::Ok | Dev::Fail | Dev::Timeout);
        let verdicts = self.count(verdict);
        let reached_min =
            self.min_devices > 0 && verdict(to) && !verdict(from) && verdicts == self.min_devices;
        if ((is_failed && !was_failed) || reached_min)
            && self.status == Status::Active
            && verdicts >= self.min_devices
        {
            let failed = self.count(|d| matches!(d, Dev::Fail | Dev::Timeout));
            let scheduled = self.count(|_| true);
            // failed / scheduled × 100 > threshold, in exact integer form.
            if failed * 100 > self.threshold as usize * scheduled {
                self.status = Status::Paused;
                self.expect.auto_paused = true;
            }
        }
        if self.status == Status::Active && self.all_decided() {
            self.status = Status::Completed;
        }
    }

    fn step(&mut self, op: &Op) {
        self.expect = Expect::default();
        let n = self.devs.len();
        let dev = |i: usize| if i < n { self.devs[i] } else { None };
        let accepted = match *op {
            Op::Pause if self.status == Status::Active => {
                self.status = Status::Paused;
                true
            }
            Op::Resume if self.status == Status::Paused => {
                self.status = Status::Active;
                if self.all_decided() {
                    self.status = Status::Completed;
                }
                true
            }
            Op::Advance(p) if self.status == Status::Active && p > self.percent && p <= 100 => {
                self.percent = p;
                self.schedule();
                true
            }
            Op::Rollback if matches!(self.status, Status::Active | Status::Paused) => {
                self.status = Status::RollingBack;
                true
            }
            Op::FinishRollback if self.status == Status::RollingBack => {
                self.status = Status::Completed;
                true
            }
            Op::SendAll if self.status == Status::Active => {
                for slot in self.devs.iter_mut() {
                    if *slot == Some(Dev::Sched) {
                        *slot = Some(Dev::Sent);
                    }
                }
                true
            }
            Op::Cancel
                if matches!(
                    self.status,
                    Status::Active | Status::Paused | Status::Scheduled
                ) =>
            {
                self.status = Status::Cancelled;
                true
            }
            Op::StartNow if self.status == Status::Scheduled => {
                self.status = Status::Active;
                self.schedule();
                true
            }
            Op::Report(i, outcome) if !self.is_final() => match dev(i) {
                None => false,
                Some(d) => {
                    let working = matches!(d, Dev::Sched | Dev::Sent | Dev::Prog);
                    match outcome {
                        ReportOutcome::Observed => true,
                        ReportOutcome::Progress if working => {
                            self.set_dev(i, d, Dev::Prog);
                            true
                        }
                        ReportOutcome::Succeeded if working => {
                            self.set_dev(i, d, Dev::Ok);
                            true
                        }
                        ReportOutcome::Failed if working => {
                            self.set_dev(i, d, Dev::Fail);
                            true
                        }
                        ReportOutcome::Succeeded => d == Dev::Ok,
                        ReportOutcome::Failed => d == Dev::Fail,
                        ReportOutcome::Progress => false,
                    }
                }
            },
            Op::TimeOut(i) if !self.is_final() => match dev(i) {
                Some(d @ (Dev::Sent | Dev::Prog)) => {
                    self.set_dev(i, d, Dev::Timeout);
                    true
                }
                Some(Dev::Timeout) => true,
                _ => false,
            },
            _ => false,
        };
        self.expect.accepted = accepted;
    }
}

fn device_id(i: usize) -> String {
    format!("dev_{i}")
}

struct RolloutSimulation;

impl ReferenceStateMachine for RolloutSimulation {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        let percent = prop_oneof![1u32..=30, 1u32..=100];
        // Round thresholds make "exactly at the threshold" (which must not pause) common.
        let threshold = prop_oneof![
            proptest::sample::select(vec![0u32, 10, 20, 25, 50, 100]),
            0u32..=40,
            0u32..=100,
        ];
        let min_devices = prop_oneof![3 => Just(0usize), 1 => 1usize..=6];
        (
            1usize..=12,
            percent,
            threshold,
            proptest::bool::weighted(0.25),
            min_devices,
        )
            .prop_map(|(n, percent, threshold, scheduled, min_devices)| {
                let mut m = Model {
                    status: if scheduled {
                        Status::Scheduled
                    } else {
                        Status::Active
                    },
                    percent,
                    threshold,
                    min_devices,
                    devs: vec![None; n],
                    expect: Expect {
                        accepted: true,
                        auto_paused: false,
                    },
                };
                if !scheduled {
                    m.schedule();
                }
                m
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Op> {
        // One index past the end names a device that is not a target.
        let any_dev = 0..=state.devs.len();
        let outcome = prop_oneof![
            1 => Just(ReportOutcome::Progress),
            2 => Just(ReportOutcome::Succeeded),
            2 => Just(ReportOutcome::Failed),
            1 => Just(ReportOutcome::Observed),
        ];
        prop_oneof![
            1 => Just(Op::Pause),
            2 => Just(Op::Resume),
            2 => prop_oneof![Just(100u32), 0u32..=110].prop_map(Op::Advance),
            1 => Just(Op::Rollback),
            1 => Just(Op::FinishRollback),
            4 => Just(Op::SendAll),
            8 => (any_dev.clone(), outcome).prop_map(|(i, o)| Op::Report(i, o)),
            2 => any_dev.prop_map(Op::TimeOut),
            1 => Just(Op::Cancel),
            2 => Just(Op::StartNow),
        ]
        .boxed()
    }

    fn apply(mut state: Model, op: &Op) -> Model {
        state.step(op);
        state
    }
}

// ---------------------------------------------------------------------------------------------
// System under test: the aggregate, plus what the last step did.

struct Sut {
    agg: RolloutAggregate,
    prev: RolloutAggregate,
    accepted: bool,
    events: Vec<RolloutEvent>,
    auto_pauses_total: usize,
    resumes_total: usize,
}

fn status_of(s: RolloutStatus) -> Status {
    match s {
        RolloutStatus::Active => Status::Active,
        RolloutStatus::Paused => Status::Paused,
        RolloutStatus::RollingBack => Status::RollingBack,
        RolloutStatus::Completed => Status::Completed,
        RolloutStatus::Scheduled => Status::Scheduled,
        RolloutStatus::Cancelled => Status::Cancelled,
    }
}

fn dev_of(s: DeviceRolloutState) -> Dev {
    match s {
        DeviceRolloutState::Scheduled => Dev::Sched,
        DeviceRolloutState::CommandSent => Dev::Sent,
        DeviceRolloutState::InProgress => Dev::Prog,
        DeviceRolloutState::Successful => Dev::Ok,
        DeviceRolloutState::Failed => Dev::Fail,
        DeviceRolloutState::TimedOut => Dev::Timeout,
    }
}

impl StateMachineTest for RolloutSimulation {
    type SystemUnderTest = Sut;
    type Reference = RolloutSimulation;

    fn init_test(model: &Model) -> Sut {
        let n = model.devs.len() as u64;
        let scheduled = model.status == Status::Scheduled;
        let (agg, events) = if scheduled {
            RolloutAggregate::schedule(n, model.percent, model.threshold)
        } else {
            RolloutAggregate::start(n, model.percent, model.threshold)
        }
        .expect("the reference only generates valid starts");
        let mut agg = agg.with_min_devices(model.min_devices as u64);
        let k = if scheduled {
            0
        } else {
            canary_slice(n, model.percent)
        };
        if scheduled {
            assert_eq!(
                events,
                vec![RolloutEvent::Scheduled],
                "nothing is scheduled"
            );
        } else {
            assert_eq!(
                events,
                vec![
                    RolloutEvent::Started,
                    RolloutEvent::SliceScheduled { from: 0, to: k }
                ],
                "start schedules the slice"
            );
        }
        for i in 0..model.devs.len() {
            let state = ((i as u64) < k).then_some(DeviceRolloutState::Scheduled);
            agg.track(&device_id(i), i as u64, state)
                .expect("a consistent device");
        }
        Sut {
            prev: agg.clone(),
            agg,
            accepted: true,
            events: Vec::new(),
            auto_pauses_total: 0,
            resumes_total: 0,
        }
    }

    fn apply(mut sut: Sut, _model: &Model, op: Op) -> Sut {
        sut.prev = sut.agg.clone();
        let mut sparse = sparse_copy(&sut.prev, &op);
        let result = run(&mut sut.agg, &op);
        let sparse_result = run(&mut sparse, &op);
        assert_eq!(
            sparse_result, result,
            "a sparse aggregate decided differently on {op:?}"
        );
        assert_eq!(sparse.status(), sut.agg.status());
        assert_eq!(sparse.counters(), sut.agg.counters());
        assert_eq!(sparse.canary_percent(), sut.agg.canary_percent());
        assert_eq!(sparse.target_count(), sut.agg.target_count());
        for (id, t) in sparse.tracked() {
            assert_eq!(Some(t), sut.agg.tracked().get(id), "tracked device {id}");
        }
        sut.accepted = result.is_ok();
        sut.events = result.unwrap_or_default();
        for ev in &sut.events {
            match ev {
                RolloutEvent::Transitioned {
                    trigger: RolloutTrigger::AutoPause,
                    ..
                } => sut.auto_pauses_total += 1,
                RolloutEvent::Transitioned {
                    trigger: RolloutTrigger::Resume,
                    ..
                } => sut.resumes_total += 1,
                _ => {}
            }
        }
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        let (agg, prev) = (&sut.agg, &sut.prev);

        // Agreement with the reference model.
        assert_eq!(
            sut.accepted, model.expect.accepted,
            "accepted/rejected disagrees"
        );
        assert_eq!(status_of(agg.status()), model.status, "status disagrees");
        assert_eq!(agg.canary_percent(), model.percent);
        for (i, slot) in model.devs.iter().enumerate() {
            assert_eq!(
                agg.device_state(&device_id(i)).map(dev_of),
                *slot,
                "device {i}"
            );
        }

        // A rejected operation changes nothing and says nothing.
        if !sut.accepted {
            assert_eq!(agg, prev);
            assert!(sut.events.is_empty());
        }

        // Status changes only along legal edges, each reported as an event, chained.
        let mut status = prev.status();
        for ev in &sut.events {
            if let RolloutEvent::Transitioned { from, to, trigger } = ev {
                assert_eq!(*from, status, "transition chain broken: {:?}", sut.events);
                assert_eq!(from.next(*trigger), Ok(*to), "illegal edge {ev:?}");
                status = *to;
            }
        }
        assert_eq!(status, agg.status(), "status changed without an event");

        // Counters equal the per-device states (every target is tracked here).
        let recount = DeviceCounters::from_states(agg.tracked().values().filter_map(|t| t.state));
        assert_eq!(agg.counters(), recount);

        // The slice is exactly ceil(percent × targets / 100), a prefix of the targets; none
        // before a scheduled rollout starts.
        let n = agg.target_count();
        let started = model.devs.iter().any(Option::is_some);
        let k = if started {
            canary_slice(n, agg.canary_percent())
        } else {
            0
        };
        assert_eq!(agg.slice_len(), k);
        assert_eq!(agg.tracked().len() as u64, n);
        for t in agg.tracked().values() {
            assert_eq!(t.state.is_some(), t.position < k, "{t:?} with slice {k}");
        }

        // Only an active rollout schedules devices or sends commands.
        let scheduled_now: u64 = sut
            .events
            .iter()
            .map(|e| match e {
                RolloutEvent::SliceScheduled { from, to } => to - from,
                _ => 0,
            })
            .sum();
        assert_eq!(scheduled_now, agg.slice_len() - prev.slice_len());
        let sent_now = sut.events.iter().any(|e| {
            matches!(
                e,
                RolloutEvent::CommandsSent { .. }
                    | RolloutEvent::DeviceChanged {
                        to: DeviceRolloutState::CommandSent,
                        ..
                    }
            )
        });
        let started_now = sut.events.iter().any(|e| {
            matches!(
                e,
                RolloutEvent::Transitioned {
                    trigger: RolloutTrigger::Start,
                    ..
                }
            )
        });
        if started_now {
            assert_eq!(prev.status(), RolloutStatus::Scheduled);
            assert!(
                !sent_now,
                "start_now schedules; sending is the caller's drive"
            );
        } else if prev.status() != RolloutStatus::Active {
            assert_eq!(scheduled_now, 0, "scheduled while {}", prev.status());
            assert!(!sent_now, "command sent while {}", prev.status());
        }

        // Completion says how it ended: the trigger's outcome matches the devices' verdicts.
        let c = agg.counters();
        for ev in &sut.events {
            if let RolloutEvent::Transitioned {
                to: RolloutStatus::Completed,
                trigger,
                ..
            } = ev
            {
                let outcome = trigger.outcome();
                match trigger {
                    RolloutTrigger::AllSucceeded => {
                        assert_eq!(outcome, Some(RolloutOutcome::Succeeded));
                        assert_eq!(c.successful, agg.target_count(), "{c:?}");
                    }
                    RolloutTrigger::FinishedWithFailures => {
                        assert_eq!(outcome, Some(RolloutOutcome::SomeFailed));
                        assert!(agg.all_decided() && c.failed_total() > 0, "{c:?}");
                    }
                    RolloutTrigger::RollbackFinished => {
                        assert_eq!(outcome, Some(RolloutOutcome::RolledBack));
                        assert_eq!(prev.status(), RolloutStatus::RollingBack);
                    }
                    other => panic!("{other} completed the rollout"),
                }
            }
        }
        // An active rollout always has something left to do: with every target decided it
        // has completed.
        if agg.status() == RolloutStatus::Active {
            assert!(
                !agg.all_decided(),
                "active with every target decided: {c:?}"
            );
        }

        // Completed and cancelled are final.
        if prev.status().is_terminal() {
            assert!(!sut.accepted);
            assert_eq!(agg, prev);
        }
        // A cancelled rollout got there by an operator's cancel, and schedules nothing more.
        if agg.status() == RolloutStatus::Cancelled && prev.status() != RolloutStatus::Cancelled {
            assert!(matches!(
                prev.status(),
                RolloutStatus::Active | RolloutStatus::Paused | RolloutStatus::Scheduled
            ));
            assert_eq!(scheduled_now, 0);
            assert!(!sent_now);
            assert_eq!(agg.counters(), prev.counters(), "cancel moves no device");
        }
        // A scheduled rollout has told no device anything.
        if agg.status() == RolloutStatus::Scheduled {
            assert_eq!(agg.counters().total(), 0);
        }

        // Auto-pause fires exactly when a new failure, recorded while active, makes the rule hold.
        let auto_pauses = sut
            .events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    RolloutEvent::Transitioned {
                        trigger: RolloutTrigger::AutoPause,
                        ..
                    }
                )
            })
            .count();
        let c = agg.counters();
        let newly_failed = c.failed_total() > prev.counters().failed_total();
        let min = agg.min_devices();
        let reached_min = min > 0 && prev.verdicts() < min && agg.verdicts() == min;
        let should = prev.status() == RolloutStatus::Active
            && (newly_failed || reached_min)
            && agg.verdicts() >= min
            && should_auto_pause(c.failed_total(), c.total(), agg.failure_threshold_percent());
        assert_eq!(
            auto_pauses,
            usize::from(should),
            "auto-pause mismatch: {:?}",
            sut.events
        );
        assert_eq!(auto_pauses == 1, model.expect.auto_paused);
        if auto_pauses == 1 {
            assert_eq!(agg.status(), RolloutStatus::Paused);
        }
        // Once per active stretch: only an operator resume can re-arm it.
        assert!(sut.auto_pauses_total <= sut.resumes_total + 1);
    }
}

fn run(agg: &mut RolloutAggregate, op: &Op) -> Result<Vec<RolloutEvent>, ApiError> {
    match *op {
        Op::Pause => agg.pause(),
        Op::Resume => agg.resume(),
        Op::Advance(p) => agg.advance(p),
        Op::Rollback => agg.rollback(),
        Op::FinishRollback => agg.finish_rollback(),
        Op::SendAll => agg.send_commands(),
        Op::Report(i, o) => agg.record_report(&device_id(i), o),
        Op::TimeOut(i) => agg.time_out(&device_id(i)),
        Op::Cancel => agg.cancel(),
        Op::StartNow => agg.start_now(),
    }
}

/// What the server builds for `op`: the rollout's counters, plus the one device `op` names if
/// it is a target.
fn sparse_copy(full: &RolloutAggregate, op: &Op) -> RolloutAggregate {
    let mut sparse = RolloutAggregate::restore(
        full.status(),
        full.canary_percent(),
        full.failure_threshold_percent(),
        full.target_count(),
        full.counters(),
    )
    .expect("a full aggregate's state restores")
    .with_min_devices(full.min_devices());
    if let Op::Report(i, _) | Op::TimeOut(i) = *op {
        if let Some(t) = full.tracked().get(&device_id(i)) {
            sparse
                .track(&device_id(i), t.position, t.state)
                .expect("a consistent device");
        }
    }
    sparse
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]

    #[test]
    fn rollout_aggregate_matches_the_reference(sequential 1..60 => RolloutSimulation);
}
