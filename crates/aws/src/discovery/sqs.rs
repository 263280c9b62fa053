//! SQS: a queue has no log group; its consumers do. They are found with
//! `ListEventSourceMappings(EventSourceArn)`, which needs the queue's ARN:
//! the alarm's ARN gives its partition, region and account. A dead-letter
//! queue has no consumer; its source queue's consumers are the ones that
//! failed, found by the usual naming (`orders-dlq` → `orders`).

use super::Clients;
use super::arn::Arn;
use super::lambda;
use super::session::Session;

const KIND: &str = "sqs queue";

pub async fn queue(clients: &Clients, session: &mut Session, alarm: Option<&Arn<'_>>, queue: &str) {
    let Some(alarm) = alarm else {
        session.note(
            KIND,
            queue,
            "its consumers",
            &"the alarm's ARN is unknown, so is the queue's",
        );
        return;
    };
    let found = lambda::consumers(
        clients,
        session,
        &alarm.sibling("sqs", queue),
        (KIND, queue),
    )
    .await;
    if found != Some(0) {
        return;
    }
    if let Some(source) = dead_letter_source(queue) {
        session.add_resource(
            KIND,
            &source,
            format!("source queue of the dead-letter queue {queue} (by name)"),
        );
        lambda::consumers(
            clients,
            session,
            &alarm.sibling("sqs", &source),
            (KIND, &source),
        )
        .await;
    }
}

/// The queue a dead-letter queue serves, by the usual suffixes; FIFO
/// queues keep `.fifo`.
pub fn dead_letter_source(queue: &str) -> Option<String> {
    let (base, fifo) = match queue.strip_suffix(".fifo") {
        Some(base) => (base, ".fifo"),
        None => (queue, ""),
    };
    let lower = base.to_ascii_lowercase();
    [
        "-dlq",
        "_dlq",
        "-dead-letter",
        "_dead_letter",
        "-deadletter",
        "_deadletter",
    ]
    .iter()
    .find(|suffix| lower.ends_with(*suffix))
    .and_then(|suffix| base.get(..base.len() - suffix.len()))
    .filter(|stem| !stem.is_empty())
    .map(|stem| format!("{stem}{fifo}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_queue_names_its_source() {
        assert_eq!(dead_letter_source("orders-dlq").as_deref(), Some("orders"));
        assert_eq!(dead_letter_source("Orders_DLQ").as_deref(), Some("Orders"));
        assert_eq!(
            dead_letter_source("orders-dead-letter.fifo").as_deref(),
            Some("orders.fifo")
        );
        assert_eq!(dead_letter_source("orders"), None);
        assert_eq!(dead_letter_source("-dlq"), None);
    }
}
