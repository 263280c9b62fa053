//! The parent operator `%`: each one is a slot that looks back along the
//! path for the step whose input it names; that step then binds its input
//! under the slot's label.

use std::sync::Arc;

use crate::ast::{Kind, Node, Slot, Stage};
use crate::error::{Result, syntax};
use crate::process::{Processor, SlotData};

impl Processor {
    pub(crate) fn slot(&self, id: usize) -> SlotData {
        self.slots.get(id).map_or(
            SlotData {
                label: id,
                level: 0,
            },
            |s| SlotData {
                label: s.label,
                level: s.level,
            },
        )
    }

    pub(crate) fn add_level(&mut self, id: usize, delta: i32) {
        if let Some(s) = self.slots.get_mut(id) {
            s.level += delta;
        }
    }

    pub(crate) fn set_label(&mut self, id: usize, label: usize) {
        if let Some(s) = self.slots.get_mut(id) {
            s.label = label;
        }
    }

    pub(crate) fn seek_parent(&mut self, node: &mut Node, slot: usize) -> Result<()> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.add_level(slot, -1);
                if self.slot(slot).level == 0 {
                    if let Some(Slot::Id(existing)) = node.ancestor {
                        let label = self.slot(existing).label;
                        self.set_label(slot, label);
                    }
                    node.ancestor = Some(Slot::Id(slot));
                    node.tuple = true;
                }
            }
            Kind::Parent(_) => self.add_level(slot, 1),
            Kind::Block(items) => {
                if let Some(last) = items.last_mut() {
                    node.tuple = true;
                    self.seek_parent(last, slot)?;
                }
            }
            Kind::Path(steps) => {
                node.tuple = true;
                let mut index = steps.len();
                if let Some(last) = index.checked_sub(1).and_then(|i| steps.get_mut(i)) {
                    self.seek_parent(last, slot)?;
                    index -= 1;
                }
                while self.slot(slot).level > 0 && index > 0 {
                    index -= 1;
                    if let Some(step) = steps.get_mut(index) {
                        self.seek_parent(step, slot)?;
                    }
                }
            }
            _ => {
                return Err(syntax(
                    "S0217",
                    node.pos,
                    "the parent of this expression cannot be derived",
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn resolve_ancestry(&mut self, path: &mut Node) -> Result<()> {
        let Kind::Path(steps) = &mut path.kind else {
            return Ok(());
        };
        let Some(last) = steps.last() else {
            return Ok(());
        };
        let mut slots = last.seeking_parent.clone();
        if let Kind::Parent(Slot::Id(id)) = last.kind {
            slots.push(id);
        }
        let mut unresolved = Vec::new();
        for slot in slots {
            // Steps before the last, from the nearest.
            let mut index = steps.len() - 1;
            while self.slot(slot).level > 0 {
                if index == 0 {
                    unresolved.push(slot);
                    break;
                }
                index -= 1;
                // Contiguous steps that bind the focus count as one.
                while index > 0
                    && steps.get(index).is_some_and(|s| s.focus.is_some())
                    && steps.get(index - 1).is_some_and(|s| s.focus.is_some())
                {
                    index -= 1;
                }
                if let Some(step) = steps.get_mut(index) {
                    self.seek_parent(step, slot)?;
                }
            }
        }
        path.seeking_parent.extend(unresolved);
        Ok(())
    }

    /// Replaces slot ids by their final labels, below `node` (lambdas and
    /// transforms were finalized when they were built).
    pub(crate) fn finalize(&self, node: &mut Node) {
        if let Some(Slot::Id(id)) = node.ancestor {
            node.ancestor = Some(self.label(id));
        }
        if let Kind::Parent(Slot::Id(id)) = node.kind {
            node.kind = Kind::Parent(self.label(id));
        }
        for stage in node.stages.iter_mut().chain(node.predicate.iter_mut()) {
            if let Stage::Filter(f) = stage {
                self.finalize(f);
            }
        }
        if let Some(group) = &mut node.group {
            for (k, v) in &mut group.pairs {
                self.finalize(k);
                self.finalize(v);
            }
        }
        match &mut node.kind {
            Kind::Binary(_, a, b) | Kind::Apply(a, b) => {
                self.finalize(a);
                self.finalize(b);
            }
            Kind::Negate(a) | Kind::Bind(_, a) => self.finalize(a),
            Kind::Array(items) | Kind::Block(items) | Kind::Path(items) => {
                items.iter_mut().for_each(|n| self.finalize(n));
            }
            Kind::Object(pairs) => {
                for (k, v) in pairs {
                    self.finalize(k);
                    self.finalize(v);
                }
            }
            Kind::Condition(c, t, e) => {
                self.finalize(c);
                self.finalize(t);
                if let Some(e) = e {
                    self.finalize(e);
                }
            }
            Kind::Function(p, args) | Kind::Partial(p, args) => {
                self.finalize(p);
                args.iter_mut().for_each(|n| self.finalize(n));
            }
            Kind::Sort(terms) => terms.iter_mut().for_each(|t| self.finalize(&mut t.expr)),
            _ => {}
        }
    }

    pub(crate) fn label(&self, id: usize) -> Slot {
        Slot::Label(Arc::from(format!("!{}", self.slot(id).label).as_str()))
    }
}
