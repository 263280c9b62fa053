//! Resolution by hand (the API's `resolve_incident`): no recovery alert
//! came, someone says the problem is over and what fixed it.

use chrono::{DateTime, Utc};
use responder_core::{Incident, IncidentStatus};

use crate::error::{Error, Result, names};
use crate::ports::{Archive, ArchiveRecord, IncidentStore, Write};

/// What a resolution by hand found.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Resolved(Box<Incident>),
    NotFound,
    /// The incident is not open: resolved or suppressed already.
    NotOpen(IncidentStatus),
}

/// Marks the incident resolved over the version it was read at (a
/// concurrent change means reading again and deciding again), then writes
/// its archive record with the resolution, for the next analysis.
pub async fn resolve_by_hand<S: IncidentStore, A: Archive>(
    store: &S,
    archive: &A,
    incident_id: &str,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<Resolution> {
    for _ in 0..5 {
        let Some(mut incident) = store.incident(incident_id).await? else {
            return Ok(Resolution::NotFound);
        };
        if !incident.status.is_open() {
            return Ok(Resolution::NotOpen(incident.status));
        }
        incident.status = IncidentStatus::Resolved;
        incident.time_to_recover_seconds = DateTime::parse_from_rfc3339(&incident.opened_at)
            .ok()
            .map(|opened| (now - opened.with_timezone(&Utc)).num_seconds());
        incident.resolved_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        incident.version += 1;
        if store.update(&incident).await? == Write::Done {
            let mut record = ArchiveRecord::of(&incident);
            record.resolution = Some(resolution.to_owned());
            archive.record(&record).await?;
            return Ok(Resolution::Resolved(Box::new(incident)));
        }
    }
    Err(Error::new(
        names::STORE_TRANSIENT,
        format!("incident '{incident_id}' kept changing while it was resolved; try again"),
    ))
}
