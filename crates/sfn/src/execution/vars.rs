//! Workflow variables (`Assign`), by scope: the top level is one scope,
//! each Parallel branch and Map iteration another, which reads its outer
//! scopes and goes away when it ends. AWS's limits apply: 256 KiB for the
//! values one state assigns, 10 MiB for all the variables of an execution.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{StatesError, names};
use crate::history::Payload;
use crate::path::Vars;

/// The top level's scope.
pub(crate) const ROOT: u64 = 0;
/// The most one state may assign, in bytes of JSON.
pub(crate) const MAX_ASSIGN_BYTES: usize = 256 * 1024;
/// The most all the variables of an execution may hold.
pub(crate) const MAX_TOTAL_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Scopes {
    scopes: BTreeMap<u64, Scope>,
    next: u64,
    /// Bytes held by all live variables.
    total: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Scope {
    parent: Option<u64>,
    vars: BTreeMap<String, (Value, usize)>,
}

impl Scopes {
    /// The value of `name` seen from `scope` (its own, then outer scopes').
    pub fn get(&self, scope: u64, name: &str) -> Option<&Value> {
        let mut at = Some(scope);
        while let Some(id) = at {
            let s = self.scopes.get(&id)?;
            if let Some((v, _)) = s.vars.get(name) {
                return Some(v);
            }
            at = s.parent;
        }
        None
    }

    /// A new scope inside `parent` (a branch's, an iteration's).
    pub fn open(&mut self, parent: u64) -> u64 {
        self.scopes.entry(parent).or_default();
        self.next += 1;
        let id = self.next;
        self.scopes.insert(
            id,
            Scope {
                parent: Some(parent),
                vars: BTreeMap::new(),
            },
        );
        id
    }

    /// Ends a scope: its variables go.
    pub fn close(&mut self, id: u64) {
        if id == ROOT {
            return;
        }
        if let Some(scope) = self.scopes.remove(&id) {
            let bytes: usize = scope.vars.values().map(|(_, b)| b).sum();
            self.total = self.total.saturating_sub(bytes);
        }
    }

    /// Assigns `values` in `scope`, after checking AWS's limits; returns
    /// each value's JSON for the history.
    pub fn assign(
        &mut self,
        scope: u64,
        values: Vec<(String, Value)>,
        state: &str,
    ) -> Result<Vec<(String, Payload)>, StatesError> {
        // The history lists them by name, as AWS's does.
        let mut payloads: Vec<(String, Payload)> = values
            .iter()
            .map(|(n, v)| (n.clone(), Payload::new(v)))
            .collect();
        let size: usize = payloads.iter().map(|(_, p)| p.len()).sum();
        if size > MAX_ASSIGN_BYTES {
            return Err(StatesError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The variables state '{state}' assigns have {size} bytes, more than the limit \
                     of {MAX_ASSIGN_BYTES} bytes (256 KiB)"
                ),
            ));
        }
        let target = self.scopes.entry(scope).or_default();
        let freed: usize = values
            .iter()
            .filter_map(|(n, _)| target.vars.get(n).map(|(_, b)| *b))
            .sum();
        let total = self.total - freed.min(self.total) + size;
        if total > MAX_TOTAL_BYTES {
            return Err(StatesError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The variables of the execution would hold {total} bytes, more than the limit \
                     of {MAX_TOTAL_BYTES} bytes (10 MiB) (state '{state}')"
                ),
            ));
        }
        for ((name, value), (_, payload)) in values.into_iter().zip(&payloads) {
            target.vars.insert(name, (value, payload.len()));
        }
        self.total = total;
        payloads.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(payloads)
    }
}

/// The variables a thread sees.
pub(crate) struct View<'a> {
    pub scopes: &'a Scopes,
    pub scope: u64,
}

impl Vars for View<'_> {
    fn var(&self, name: &str) -> Option<&Value> {
        self.scopes.get(self.scope, name)
    }
}
