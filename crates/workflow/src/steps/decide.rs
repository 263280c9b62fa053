//! A decision on an incident's approval, the one step every decision path
//! takes: the API's decide tool, which `responder approve`/`reject`, the
//! terminal prompt, `--auto-approve`, MCP clients, the console, Slack
//! buttons and e-mail links all call (and which audits the caller).
//!
//! The decision is recorded first, with the answer its task token gets;
//! then the answer is given; then marked given. A process that dies in
//! between leaves a record that the next attempt gives: the next decision
//! on the same incident (a client retrying its call), or
//! [`give_unanswered`] (the local runner, on every tick). So a decision is
//! never lost, and never given twice: the record changes from `PENDING`
//! once.

use crate::backend::error::ApiError;
use crate::backend::{Decided, Decision};
use crate::error::names;
use crate::ports::{Answered, Approvals, Executions, IncidentStore, RecordedDecision, TaskAnswer};

/// Decides on the incident's waiting approval as `caller`.
///
/// - `NotFound`: no such incident; `Conflict`: nothing waits for a
///   decision, someone decided first, or the task ended before the
///   decision reached it (the approval is then `EXPIRED`);
/// - a decision recorded by an attempt that died before giving it is given
///   now: the same decision again succeeds, another is a `Conflict`.
pub async fn decide<A, E, S>(
    approvals: &A,
    executions: &E,
    incidents: &S,
    incident_id: &str,
    decision: &Decision,
    caller: &str,
) -> Result<Decided, ApiError>
where
    A: Approvals,
    E: Executions,
    S: IncidentStore,
{
    if let Some(earlier) = approvals.unanswered(Some(incident_id)).await?.pop() {
        give(approvals, executions, &earlier, Attempt::Again).await?;
        return if earlier.decision == decision.name() {
            Ok(decided(incident_id, earlier))
        } else {
            Err(ApiError::conflict(format!(
                "incident '{incident_id}' was decided already: {}",
                earlier.decision
            )))
        };
    }
    let Some(waiting) = approvals.waiting(incident_id).await? else {
        // An id nobody knows is NotFound; a known incident with nothing to
        // decide is a Conflict.
        return Err(if incidents.incident(incident_id).await?.is_some() {
            ApiError::conflict(format!("incident '{incident_id}' has no approval waiting"))
        } else {
            ApiError::not_found(format!("no incident '{incident_id}'"))
        });
    };
    let (answer, name) = decision.task_answer(&waiting.channels, caller);
    let recorded = RecordedDecision {
        approval_id: waiting.id,
        token: waiting.token,
        decision: name.to_owned(),
        answer,
    };
    if !approvals.record_decision(&recorded, caller).await? {
        return Err(ApiError::conflict(format!(
            "incident '{incident_id}' was decided by someone else meanwhile"
        )));
    }
    responder_failpoints::crash_at("approval.decided");
    give(approvals, executions, &recorded, Attempt::First).await?;
    Ok(decided(incident_id, recorded))
}

/// Gives every recorded decision that its token has not had (their process
/// died in between); returns each one's approval id and outcome.
pub async fn give_unanswered<A: Approvals, E: Executions>(
    approvals: &A,
    executions: &E,
) -> crate::Result<Vec<(String, Result<(), ApiError>)>> {
    let mut outcomes = Vec::new();
    for decision in approvals.unanswered(None).await? {
        let outcome = give(approvals, executions, &decision, Attempt::Again).await;
        outcomes.push((decision.approval_id, outcome));
    }
    Ok(outcomes)
}

/// Whether an answer may have been given before, by an attempt that died.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    First,
    Again,
}

/// Gives a recorded decision's answer to its token and marks it given. An
/// engine failure other than a closed task leaves it unanswered, for the
/// next attempt.
async fn give<A: Approvals, E: Executions>(
    approvals: &A,
    executions: &E,
    decision: &RecordedDecision,
    attempt: Attempt,
) -> Result<(), ApiError> {
    let sent = match &decision.answer {
        TaskAnswer::Success(output) => executions.send_task_success(&decision.token, output).await,
        TaskAnswer::Failure { error, cause } => {
            executions
                .send_task_failure(&decision.token, error, cause)
                .await
        }
    };
    let answered = match sent {
        Ok(()) => Answered::Given,
        Err(e) if e.name() == names::APPROVAL_EXPIRED => {
            match executions.answered_before(&decision.token).await? {
                Some(true) => Answered::Given,
                Some(false) => Answered::TooLate,
                // Only this decision answers this token (it was recorded
                // over PENDING once), so on a first attempt a closed task
                // can only have ended without it.
                None if attempt == Attempt::First => Answered::TooLate,
                None => Answered::Unknown,
            }
        }
        Err(e) => return Err(e.into()),
    };
    responder_failpoints::crash_at("approval.answered");
    approvals
        .mark_answered(&decision.approval_id, answered)
        .await?;
    let id = &decision.approval_id;
    match answered {
        Answered::Given => Ok(()),
        Answered::TooLate => Err(ApiError::conflict(format!(
            "approval '{id}' is no longer waiting: its task ended before the decision reached it"
        ))),
        Answered::Unknown => Err(ApiError::conflict(format!(
            "approval '{id}' is no longer waiting: its task took this decision from an attempt \
             that died, or timed out first (the execution's history says which)"
        ))),
    }
}

fn decided(incident_id: &str, decision: RecordedDecision) -> Decided {
    Decided {
        incident_id: incident_id.to_owned(),
        approval_id: decision.approval_id,
        decision: decision.decision,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use responder_core::{Channel, Incident};
    use serde_json::{Value, json};

    use super::*;
    use crate::error::{Error, Result};
    use crate::ports::{Analyzed, ApprovalRequest, Delivery, Occurrence, WaitingApproval, Write};

    /// One approval row as a store keeps it.
    #[derive(Debug, Clone)]
    struct Row {
        id: String,
        incident_id: String,
        token: String,
        status: &'static str,
        recorded: Option<RecordedDecision>,
        answered: bool,
    }

    /// Where a task token stands in the engine.
    #[derive(Debug, Clone, PartialEq)]
    enum Token {
        Waiting,
        Took(TaskAnswer),
        /// Its task ended without an answer (timed out, or retried).
        Ended,
    }

    /// The approvals table, the engine's tokens and the incidents, in
    /// memory. `engine_down` refuses that many answers as transient;
    /// `remembers_answers: false` is Step Functions (it cannot tell a token
    /// answered from one that timed out).
    struct Desk {
        rows: Mutex<Vec<Row>>,
        tokens: Mutex<HashMap<String, Token>>,
        engine_down: Mutex<usize>,
        remembers_answers: bool,
        answers_sent: Mutex<usize>,
    }

    impl Desk {
        fn new(remembers_answers: bool) -> Self {
            let desk = Self {
                rows: Mutex::new(Vec::new()),
                tokens: Mutex::new(HashMap::new()),
                engine_down: Mutex::new(0),
                remembers_answers,
                answers_sent: Mutex::new(0),
            };
            desk.request("inc-1", "appr-1", "token-1");
            desk
        }

        fn request(&self, incident_id: &str, id: &str, token: &str) {
            self.rows.lock().unwrap().push(Row {
                id: id.to_owned(),
                incident_id: incident_id.to_owned(),
                token: token.to_owned(),
                status: "PENDING",
                recorded: None,
                answered: false,
            });
            self.tokens
                .lock()
                .unwrap()
                .insert(token.to_owned(), Token::Waiting);
        }

        fn row(&self, id: &str) -> Row {
            let rows = self.rows.lock().unwrap();
            rows.iter().find(|r| r.id == id).unwrap().clone()
        }

        fn token(&self, token: &str) -> Token {
            self.tokens.lock().unwrap().get(token).unwrap().clone()
        }

        fn answer(&self, token: &str, answer: TaskAnswer) -> Result<()> {
            let mut down = self.engine_down.lock().unwrap();
            if *down > 0 {
                *down -= 1;
                return Err(Error::new(names::CALLBACK_TRANSIENT, "engine unreachable"));
            }
            let mut tokens = self.tokens.lock().unwrap();
            match tokens.get(token) {
                Some(Token::Waiting) => {
                    tokens.insert(token.to_owned(), Token::Took(answer));
                    *self.answers_sent.lock().unwrap() += 1;
                    Ok(())
                }
                _ => Err(Error::new(
                    names::APPROVAL_EXPIRED,
                    "the task no longer waits",
                )),
            }
        }
    }

    impl Approvals for Desk {
        async fn put_request(&self, _: &ApprovalRequest) -> Result<()> {
            Err(Error::invalid_input("not served by this test store"))
        }
        async fn waiting(&self, incident_id: &str) -> Result<Option<WaitingApproval>> {
            let rows = self.rows.lock().unwrap();
            let tokens = self.tokens.lock().unwrap();
            Ok(rows
                .iter()
                .rev()
                .find(|r| {
                    r.incident_id == incident_id
                        && r.status == "PENDING"
                        && tokens.get(&r.token) == Some(&Token::Waiting)
                })
                .map(|r| WaitingApproval {
                    id: r.id.clone(),
                    token: r.token.clone(),
                    channels: json!(["slack", "jira"]),
                }))
        }
        async fn record_decision(&self, d: &RecordedDecision, _: &str) -> Result<bool> {
            let mut rows = self.rows.lock().unwrap();
            let row = rows.iter_mut().find(|r| r.id == d.approval_id).unwrap();
            if row.status != "PENDING" {
                return Ok(false);
            }
            row.status = d.answer.approval_status();
            row.recorded = Some(d.clone());
            row.answered = false;
            Ok(true)
        }
        async fn unanswered(&self, incident_id: Option<&str>) -> Result<Vec<RecordedDecision>> {
            let rows = self.rows.lock().unwrap();
            Ok(rows
                .iter()
                .filter(|r| !r.answered && incident_id.is_none_or(|id| id == r.incident_id))
                .filter_map(|r| r.recorded.clone())
                .collect())
        }
        async fn mark_answered(&self, approval_id: &str, answered: Answered) -> Result<()> {
            let mut rows = self.rows.lock().unwrap();
            let row = rows.iter_mut().find(|r| r.id == approval_id).unwrap();
            row.answered = true;
            if answered == Answered::TooLate {
                row.status = "EXPIRED";
            }
            Ok(())
        }
    }

    impl Executions for Desk {
        async fn send_task_success(&self, token: &str, output: &Value) -> Result<()> {
            self.answer(token, TaskAnswer::Success(output.clone()))
        }
        async fn send_task_failure(&self, token: &str, error: &str, cause: &str) -> Result<()> {
            let answer = TaskAnswer::Failure {
                error: error.to_owned(),
                cause: cause.to_owned(),
            };
            self.answer(token, answer)
        }
        async fn answered_before(&self, token: &str) -> Result<Option<bool>> {
            Ok(self
                .remembers_answers
                .then(|| matches!(self.token(token), Token::Took(_))))
        }
        async fn start(&self, _: &str, _: &Value) -> Result<Option<String>> {
            Err(Error::invalid_input("not served by this test store"))
        }
    }

    /// Only `incident` is served: what `decide` reads.
    impl IncidentStore for Desk {
        async fn occurrence(&self, _: &str) -> Result<Option<Occurrence>> {
            Err(Error::invalid_input("not served"))
        }
        async fn open_incident(&self, _: &str) -> Result<Option<Incident>> {
            Err(Error::invalid_input("not served"))
        }
        async fn incident(&self, id: &str) -> Result<Option<Incident>> {
            let known = self
                .rows
                .lock()
                .unwrap()
                .iter()
                .any(|r| r.incident_id == id);
            Ok(known.then(|| {
                serde_json::from_value(json!({
                    "id": id, "signature": "s", "resource": "r", "title": "t",
                    "severity": "HIGH", "status": "PENDING_APPROVAL",
                    "opened_at": "2026-11-20T09:14:07.405Z",
                    "last_seen_at": "2026-11-20T09:14:07.405Z",
                    "occurrences": 1, "version": 1
                }))
                .unwrap()
            }))
        }
        async fn register(&self, _: &Occurrence, _: Option<&Incident>) -> Result<Write> {
            Err(Error::invalid_input("not served"))
        }
        async fn update(&self, _: &Incident) -> Result<Write> {
            Err(Error::invalid_input("not served"))
        }
        async fn record_analysis(&self, _: &str, _: &Analyzed) -> Result<()> {
            Err(Error::invalid_input("not served"))
        }
        async fn record_delivery(&self, _: &Delivery) -> Result<()> {
            Err(Error::invalid_input("not served"))
        }
        async fn delivery(&self, _: &str, _: Channel, _: &str) -> Result<Option<Delivery>> {
            Err(Error::invalid_input("not served"))
        }
    }

    fn approve_to_slack() -> Decision {
        Decision::Approve {
            comment: Some("ship it".into()),
            severity: None,
            channels: Some(vec![Channel::Slack]),
            summary: None,
        }
    }

    fn reject() -> Decision {
        Decision::Reject {
            reason: "a load test".into(),
        }
    }

    async fn decide_on(
        desk: &Desk,
        incident_id: &str,
        decision: &Decision,
    ) -> Result<Decided, ApiError> {
        decide(desk, desk, desk, incident_id, decision, "alice").await
    }

    #[tokio::test]
    async fn a_decision_is_recorded_and_given_once() {
        let desk = Desk::new(true);
        let decided = decide_on(&desk, "inc-1", &approve_to_slack())
            .await
            .unwrap();
        assert_eq!(decided.decision, "APPROVED_WITH_EDITS");
        assert_eq!(decided.approval_id, "appr-1");
        let Token::Took(TaskAnswer::Success(output)) = desk.token("token-1") else {
            panic!("{:?}", desk.token("token-1"));
        };
        assert_eq!(output["channels"], json!(["slack"]));
        assert_eq!(output["approver"], "alice");
        let row = desk.row("appr-1");
        assert_eq!((row.status, row.answered), ("APPROVED", true));

        let again = decide_on(&desk, "inc-1", &reject()).await.unwrap_err();
        assert_eq!(again.name, "Conflict", "{again}");
        let unknown = decide_on(&desk, "inc-404", &reject()).await.unwrap_err();
        assert_eq!(unknown.name, "NotFound", "{unknown}");
        assert_eq!(*desk.answers_sent.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_decision_the_engine_did_not_take_is_given_by_the_retry() {
        let desk = Desk::new(false);
        *desk.engine_down.lock().unwrap() = 1;
        let error = decide_on(&desk, "inc-1", &reject()).await.unwrap_err();
        assert_eq!(error.name, "Unavailable", "{error}");
        assert!(
            error.message.contains(names::CALLBACK_TRANSIENT.as_str()),
            "{error}"
        );
        let row = desk.row("appr-1");
        assert_eq!(
            (row.status, row.answered),
            ("REJECTED", false),
            "kept, not lost"
        );

        // The client retries: the recorded decision goes to the task.
        let decided = decide_on(&desk, "inc-1", &reject()).await.unwrap();
        assert_eq!(decided.decision, "REJECTED");
        assert_eq!(
            desk.token("token-1"),
            Token::Took(TaskAnswer::Failure {
                error: names::APPROVAL_REJECTED.into(),
                cause: "a load test".into()
            })
        );
        assert!(desk.row("appr-1").answered);
        assert_eq!(*desk.answers_sent.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn another_decision_after_a_lost_answer_gives_the_first_and_is_refused() {
        let desk = Desk::new(true);
        *desk.engine_down.lock().unwrap() = 1;
        decide_on(&desk, "inc-1", &reject()).await.unwrap_err();
        let error = decide_on(&desk, "inc-1", &approve_to_slack())
            .await
            .unwrap_err();
        assert_eq!(error.name, "Conflict", "{error}");
        assert!(
            error.message.contains("decided already: REJECTED"),
            "{error}"
        );
        assert!(matches!(
            desk.token("token-1"),
            Token::Took(TaskAnswer::Failure { .. })
        ));
    }

    #[tokio::test]
    async fn a_decision_after_the_task_ended_expires_the_approval() {
        for remembers_answers in [true, false] {
            let desk = Desk::new(remembers_answers);
            // The task timed out between the read and the answer: the
            // approval still says PENDING, the token no longer waits.
            let waiting = desk.waiting("inc-1").await.unwrap().unwrap();
            desk.tokens
                .lock()
                .unwrap()
                .insert(waiting.token.clone(), Token::Ended);
            let recorded = RecordedDecision {
                approval_id: waiting.id,
                token: waiting.token,
                decision: "APPROVED".into(),
                answer: TaskAnswer::Success(json!({"decision": "APPROVED"})),
            };
            assert!(desk.record_decision(&recorded, "alice").await.unwrap());
            let error = give(&desk, &desk, &recorded, Attempt::First)
                .await
                .unwrap_err();
            assert_eq!(error.name, "Conflict", "{error}");
            let row = desk.row("appr-1");
            assert_eq!((row.status, row.answered), ("EXPIRED", true));
        }
    }

    #[tokio::test]
    async fn replayed_decisions_are_given_once_and_a_taken_one_is_not_given_again() {
        let desk = Desk::new(true);
        desk.request("inc-2", "appr-2", "token-2");
        *desk.engine_down.lock().unwrap() = 2;
        decide_on(&desk, "inc-1", &approve_to_slack())
            .await
            .unwrap_err();
        decide_on(&desk, "inc-2", &reject()).await.unwrap_err();
        // The answer to inc-1 reached the engine, but its process died
        // before marking it given.
        desk.answer("token-1", TaskAnswer::Success(json!({})))
            .unwrap();

        let outcomes = give_unanswered(&desk, &desk).await.unwrap();
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes.iter().all(|(_, o)| o.is_ok()), "{outcomes:?}");
        assert_eq!(
            *desk.answers_sent.lock().unwrap(),
            2,
            "one answer per token"
        );
        assert!(give_unanswered(&desk, &desk).await.unwrap().is_empty());
        assert_eq!(desk.row("appr-1").status, "APPROVED");
    }

    #[tokio::test]
    async fn where_the_engine_cannot_tell_a_replay_keeps_the_decision_as_recorded() {
        let desk = Desk::new(false);
        *desk.engine_down.lock().unwrap() = 1;
        decide_on(&desk, "inc-1", &reject()).await.unwrap_err();
        desk.tokens
            .lock()
            .unwrap()
            .insert("token-1".into(), Token::Ended);
        let error = decide_on(&desk, "inc-1", &reject()).await.unwrap_err();
        assert_eq!(error.name, "Conflict", "{error}");
        assert!(error.message.contains("history says which"), "{error}");
        let row = desk.row("appr-1");
        assert_eq!((row.status, row.answered), ("REJECTED", true));
    }
}
