use proptest::prelude::*;

use super::agreement::SignRefusal;
use super::*;
use crate::PartyType;

/// Every state × action × actor of a machine: who acts is checked before
/// the state, and the platform's own steps are never open to a party.
fn check_exhaustively<M: Machine>(states: &[M], actions: &[M::Action]) {
    for &state in states {
        for &action in actions {
            let parties = M::taken_by(action);
            for party in PartyType::ALL {
                let result = state.apply(action, By::Party(party));
                if !parties.contains(party) {
                    assert!(
                        result.unwrap_err().is_wrong_party(),
                        "{state:?} {action:?} {party}"
                    );
                } else {
                    assert_eq!(result.ok(), state.after(action));
                }
            }
            let by_platform = state.apply(action, By::Platform);
            if parties == PartySet::NONE {
                assert_eq!(by_platform.ok(), state.after(action));
            } else {
                assert_eq!(by_platform.unwrap_err().reason, Reason::PartiesOnly);
            }
        }
    }
}

#[test]
fn every_machine_checks_who_acts() {
    check_exhaustively(DemandStatus::ALL, DemandAction::ALL);
    check_exhaustively(DemandListStatus::ALL, DemandListAction::ALL);
    check_exhaustively(AssessmentStatus::ALL, AssessmentAction::ALL);
    check_exhaustively(AuthorizationStatus::ALL, AuthorizationAction::ALL);
    check_exhaustively(DeliveryTaskStatus::ALL, DeliveryTaskAction::ALL);
    check_exhaustively(DisputeStatus::ALL, DisputeAction::ALL);
}

#[test]
fn final_states_have_no_way_out() {
    use DemandStatus as S;
    let finals: Vec<_> = S::ALL.iter().copied().filter(|s| s.is_final()).collect();
    assert_eq!(
        finals,
        [S::Rejected, S::Withdrawn, S::Refused, S::Delivered]
    );
    for action in AuthorizationAction::ALL {
        assert_eq!(AuthorizationStatus::Terminated.after(*action), None);
    }
    for action in DisputeAction::ALL {
        assert_eq!(DisputeStatus::Resolved.after(*action), None);
        assert_eq!(DisputeStatus::Withdrawn.after(*action), None);
    }
}

#[test]
fn the_happy_path_of_a_demand() {
    use DemandAction as A;
    let steps = [
        (A::Submit, PartyType::User),
        (A::Accept, PartyType::Operator),
        (A::List, PartyType::Operator),
        (A::SubmitList, PartyType::Operator),
        (A::OfficePass, PartyType::Governance),
    ];
    let mut state = DemandStatus::Draft;
    for (action, party) in steps {
        state = state.apply(action, By::Party(party)).unwrap();
    }
    assert_eq!(state, DemandStatus::WithProviders);
    let err = state
        .apply(A::Authorize, By::Party(PartyType::Provider))
        .unwrap_err();
    assert_eq!(err.reason, Reason::PlatformOnly);
    assert_eq!(
        err.to_string(),
        "demand: cannot authorize from state with-providers: \
         the platform takes this step itself when its rule fires"
    );
    let late = DemandStatus::Accepted.apply(A::Submit, By::Party(PartyType::User));
    assert_eq!(late.unwrap_err().reason, Reason::NotFromState);
}

#[test]
fn the_platform_waits_for_every_provider_and_every_task() {
    use AssessmentStatus as A;
    use DeliveryTaskStatus as T;
    let with = DemandStatus::WithProviders;
    assert_eq!(platform_step(with, &[], &[]), None);
    assert_eq!(
        platform_step(with, &[A::Authorized, A::Pending], &[T::Delivered]),
        None
    );
    assert_eq!(
        platform_step(with, &[A::Refused, A::Authorized], &[T::Open]),
        Some(DemandAction::Authorize)
    );
    assert_eq!(
        platform_step(with, &[A::Refused, A::Refused], &[]),
        Some(DemandAction::Refuse)
    );
    let authorized = DemandStatus::Authorized;
    assert_eq!(
        platform_step(authorized, &[], &[T::Delivered, T::Open]),
        None
    );
    assert_eq!(platform_step(authorized, &[], &[T::Cancelled]), None);
    assert_eq!(
        platform_step(authorized, &[], &[T::Delivered, T::Cancelled]),
        Some(DemandAction::Deliver)
    );
    assert_eq!(
        platform_step(DemandStatus::Delivered, &[], &[T::Delivered]),
        None
    );
}

#[test]
fn agreements_need_every_signature_and_close_for_good() {
    let day = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let term = Term {
        from: day("2026-10-01"),
        until: Some(day("2027-09-30")),
    };
    let mut signed = Signatories::none(AgreementKind::Tripartite);
    for party in [PartyType::Operator, PartyType::BigDataCenter] {
        signed = signed.sign(signed.status(false), party).unwrap();
        assert_eq!(signed.status(false), AgreementStatus::AwaitingSignatures);
    }
    assert_eq!(
        signed.sign(AgreementStatus::AwaitingSignatures, PartyType::User),
        Err(SignRefusal::NotAParty(PartyType::User))
    );
    assert_eq!(
        signed.sign(AgreementStatus::AwaitingSignatures, PartyType::Operator),
        Err(SignRefusal::AlreadySigned(PartyType::Operator))
    );
    assert_eq!(signed.missing().collect::<Vec<_>>(), [PartyType::Provider]);
    let all = signed
        .sign(signed.status(false), PartyType::Provider)
        .unwrap();
    let status = all.status(false);
    assert!(status.in_force(term, day("2026-11-28")));
    assert!(!status.in_force(term, day("2027-10-01")), "after its term");
    assert!(
        !all.status(true).in_force(term, day("2026-11-28")),
        "terminated"
    );
    assert_eq!(
        signed.sign(AgreementStatus::Terminated, PartyType::Provider),
        Err(SignRefusal::Closed(AgreementStatus::Terminated))
    );
}

/// One demand asked of two providers, driven through random steps by
/// random parties, the way the workflow service applies the machines and
/// their consequences.
#[derive(Debug)]
struct World {
    demand: DemandStatus,
    list: DemandListStatus,
    assessments: Vec<AssessmentStatus>,
    authorizations: Vec<Option<AuthorizationStatus>>,
    tasks: Vec<Option<DeliveryTaskStatus>>,
    /// (authorization index, signatures, terminated)
    agreements: Vec<(usize, Signatories, bool)>,
}

#[derive(Clone, Debug)]
enum Step {
    /// One of the demand's steps legal from its current state, picked by
    /// index, taken by an allowed party (None) or by the given one.
    Demand(usize, Option<PartyType>),
    SubmitList(PartyType),
    Assess(usize, AssessmentAction, PartyType),
    Terminate(usize, PartyType),
    /// Agreement `j` signed by a party yet to sign (None) or the given one.
    Sign(usize, Option<PartyType>),
    VersionArrives(usize),
}

fn any_party() -> impl Strategy<Value = PartyType> {
    proptest::sample::select(PartyType::ALL.to_vec())
}

/// Mostly a party that may take the action, so that runs get deep into
/// the workflow; sometimes any party, to try the wrong ones.
fn party_for(parties: PartySet) -> BoxedStrategy<PartyType> {
    let allowed: Vec<_> = parties.iter().collect();
    if allowed.is_empty() {
        return any_party().boxed();
    }
    prop_oneof![4 => proptest::sample::select(allowed), 1 => any_party()].boxed()
}

fn step() -> impl Strategy<Value = Step> {
    let demand = (any::<usize>(), proptest::option::weighted(0.2, any_party()))
        .prop_map(|(pick, party)| Step::Demand(pick, party));
    let assess = (
        0..2usize,
        proptest::sample::select(AssessmentAction::ALL.to_vec()),
    )
        .prop_flat_map(|(i, a)| {
            party_for(AssessmentStatus::taken_by(a)).prop_map(move |p| Step::Assess(i, a, p))
        });
    let provider = || party_for(PartySet::of(&[PartyType::Provider]));
    prop_oneof![
        6 => demand,
        3 => party_for(PartySet::of(&[PartyType::Operator])).prop_map(Step::SubmitList),
        2 => assess,
        1 => (0..2usize, provider()).prop_map(|(i, p)| Step::Terminate(i, p)),
        3 => (0..4usize, proptest::option::weighted(0.2, any_party()))
            .prop_map(|(j, p)| Step::Sign(j, p)),
        2 => (0..2usize).prop_map(Step::VersionArrives),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(step(), 1..160)
}

impl World {
    fn new() -> World {
        World {
            demand: DemandStatus::Draft,
            list: DemandListStatus::Draft,
            assessments: Vec::new(),
            authorizations: vec![None, None],
            tasks: vec![None, None],
            agreements: Vec::new(),
        }
    }

    fn run(&mut self, step: Step) {
        match step {
            Step::Demand(pick, party) => {
                // Listing and the platform's steps have their own steps.
                let legal: Vec<_> = DemandAction::ALL
                    .iter()
                    .copied()
                    .filter(|&a| a != DemandAction::SubmitList)
                    .filter(|&a| DemandStatus::taken_by(a) != PartySet::NONE)
                    .filter(|&a| self.demand.after(a).is_some())
                    // Ending the demand early is tried, but rarely, so
                    // that most runs get deep.
                    .filter(|&a| pick % 10 == 0 || !self.demand.after(a).unwrap().is_final())
                    .collect();
                let Some(&action) = legal.get(pick % legal.len().max(1)) else {
                    return;
                };
                let allowed: Vec<_> = DemandStatus::taken_by(action).iter().collect();
                let party = party.unwrap_or(allowed[pick % allowed.len()]);
                if let Ok(next) = self.demand.apply(action, By::Party(party)) {
                    self.demand = next;
                    if action == DemandAction::OfficePass {
                        self.assessments = vec![AssessmentStatus::Pending; 2];
                    }
                }
            }
            Step::SubmitList(party) => {
                if self.demand != DemandStatus::Listed {
                    return;
                }
                if let Ok(next) = self.list.apply(DemandListAction::Submit, By::Party(party)) {
                    self.list = next;
                    self.demand = self
                        .demand
                        .apply(DemandAction::SubmitList, By::Party(party))
                        .unwrap();
                }
            }
            Step::Assess(i, action, party) => {
                let Some(&current) = self.assessments.get(i) else {
                    return;
                };
                let by = if action == AssessmentAction::Standing {
                    By::Platform
                } else {
                    By::Party(party)
                };
                let Ok(next) = current.apply(action, by) else {
                    return;
                };
                self.assessments[i] = next;
                if next == AssessmentStatus::Authorized {
                    self.authorizations[i] = Some(AuthorizationStatus::Active);
                    self.tasks[i] = Some(DeliveryTaskStatus::Open);
                    for kind in [AgreementKind::Tripartite, AgreementKind::DataUse] {
                        self.agreements.push((i, Signatories::none(kind), false));
                    }
                }
                self.settle();
            }
            Step::Terminate(i, party) => {
                let Some(current) = self.authorizations[i] else {
                    return;
                };
                let Ok(next) = current.apply(AuthorizationAction::Terminate, By::Party(party))
                else {
                    return;
                };
                self.authorizations[i] = Some(next);
                if let Some(task) = self.tasks[i] {
                    self.tasks[i] = Some(
                        task.apply(DeliveryTaskAction::Cancel, By::Platform)
                            .unwrap_or(task),
                    );
                }
                for agreement in self.agreements.iter_mut().filter(|a| a.0 == i) {
                    agreement.2 = true;
                }
                self.settle();
            }
            Step::Sign(j, party) => {
                if let Some((_, signed, terminated)) = self.agreements.get_mut(j)
                    && let Some(party) = party.or_else(|| signed.missing().next())
                    && let Ok(next) = signed.sign(signed.status(*terminated), party)
                {
                    *signed = next;
                }
            }
            Step::VersionArrives(i) => {
                let Some(task) = self.tasks[i] else { return };
                let Ok(next) = task.apply(DeliveryTaskAction::Deliver, By::Platform) else {
                    return;
                };
                self.tasks[i] = Some(next);
                self.settle();
            }
        }
    }

    /// Applies the platform's own steps, as the service does after every
    /// change to answers or tasks.
    fn settle(&mut self) {
        let tasks: Vec<_> = self.tasks.iter().flatten().copied().collect();
        while let Some(action) = platform_step(self.demand, &self.assessments, &tasks) {
            self.demand = self.demand.apply(action, By::Platform).unwrap();
        }
    }

    /// What the regulation forbids, as assertions.
    fn check(&self) {
        for i in 0..2 {
            if self.tasks[i].is_some() {
                assert!(
                    self.authorizations[i].is_some(),
                    "delivery before authorization"
                );
            }
            if self.tasks[i] == Some(DeliveryTaskStatus::Open) {
                assert_eq!(self.authorizations[i], Some(AuthorizationStatus::Active));
            }
        }
        for (i, signed, terminated) in &self.agreements {
            if signed.status(*terminated) == AgreementStatus::Signed {
                assert_eq!(
                    self.authorizations[*i],
                    Some(AuthorizationStatus::Active),
                    "agreement in force after termination"
                );
            }
        }
        if matches!(
            self.demand,
            DemandStatus::Authorized | DemandStatus::Delivered
        ) {
            assert!(self.authorizations.iter().any(Option::is_some));
        }
        if self.demand == DemandStatus::Delivered {
            assert!(self.tasks.contains(&Some(DeliveryTaskStatus::Delivered)));
        }
        if !self.assessments.is_empty() {
            assert_eq!(
                self.list,
                DemandListStatus::Submitted,
                "assessed without review"
            );
            assert!(matches!(
                self.demand,
                DemandStatus::WithProviders
                    | DemandStatus::Authorized
                    | DemandStatus::Refused
                    | DemandStatus::Delivered
            ));
        }
        if self.demand == DemandStatus::OfficeReview {
            assert_eq!(self.list, DemandListStatus::Submitted);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_forbidden_state_is_reachable(steps in steps()) {
        let mut world = World::new();
        for step in steps {
            world.run(step);
            world.check();
        }
    }
}

/// The random runs above prove something only if they reach the late
/// stages: count how often they do.
#[test]
fn random_runs_reach_delivery_and_termination() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut delivered, mut terminated_after_signing) = (0, 0);
    for _ in 0..500 {
        let mut world = World::new();
        let mut signed_then_terminated = false;
        for step in steps().new_tree(&mut runner).unwrap().current() {
            let was_signed: Vec<bool> = world
                .agreements
                .iter()
                .map(|a| a.1.status(false) == AgreementStatus::Signed)
                .collect();
            world.run(step);
            signed_then_terminated |= world
                .agreements
                .iter()
                .zip(&was_signed)
                .any(|(a, &was)| was && a.2);
        }
        delivered += usize::from(world.demand == DemandStatus::Delivered);
        terminated_after_signing += usize::from(signed_then_terminated);
    }
    assert!(delivered >= 50, "only {delivered} of 500 runs delivered");
    assert!(
        terminated_after_signing >= 25,
        "only {terminated_after_signing} of 500 runs terminated a signed agreement"
    );
}
