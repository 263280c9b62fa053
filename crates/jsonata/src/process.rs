//! After parsing: location paths become lists of steps (with their filter
//! stages, `@`/`#` bindings and grouping), and each parent operator `%`
//! is tied to the step whose input it names.

use std::sync::Arc;

use crate::ast::{Group, Kind, LambdaDef, Node, Slot, SortTerm, Stage, TransformDef};
use crate::error::{Result, syntax};

pub(crate) struct SlotData {
    pub label: usize,
    pub level: i32,
}

#[derive(Default)]
pub(crate) struct Processor {
    pub(crate) slots: Vec<SlotData>,
}

impl Processor {
    /// Processes a whole expression.
    pub fn run(mut self, raw: Node) -> Result<Node> {
        let mut expr = self.process(raw)?;
        if matches!(expr.kind, Kind::Parent(_)) || !expr.seeking_parent.is_empty() {
            return Err(syntax(
                "S0217",
                expr.pos,
                "the parent of this expression cannot be derived",
            ));
        }
        self.finalize(&mut expr);
        Ok(expr)
    }

    fn process(&mut self, expr: Node) -> Result<Node> {
        let keep_array = expr.keep_array;
        let pos = expr.pos;
        let mut result = match expr.kind {
            Kind::Dot(lhs, rhs) => self.dot(*lhs, *rhs, pos)?,
            Kind::Filter(lhs, rhs) => {
                let mut result = self.process(*lhs)?;
                let is_path = result.is_path();
                let predicate = self.process(*rhs)?;
                let step = last_step(&mut result);
                if step.group.is_some() {
                    return Err(syntax(
                        "S0209",
                        pos,
                        "a predicate cannot follow a grouping expression in a step",
                    ));
                }
                for &slot in &predicate.seeking_parent {
                    let level = self.slot(slot).level;
                    if level == 1 {
                        self.seek_parent(step, slot)?;
                    } else {
                        self.add_level(slot, -1);
                    }
                }
                push_ancestry(step, &predicate);
                let stage = Stage::Filter(Box::new(predicate));
                if is_path {
                    step.stages.push(stage);
                } else {
                    step.predicate.push(stage);
                }
                result
            }
            Kind::GroupBy(lhs, pairs) => {
                let mut result = self.process(*lhs)?;
                if result.group.is_some() {
                    return Err(syntax(
                        "S0210",
                        pos,
                        "each step can have only one grouping expression",
                    ));
                }
                result.group = Some(Box::new(Group {
                    pairs: self.pairs(pairs, None)?,
                    pos,
                }));
                result
            }
            Kind::OrderBy(lhs, terms) => {
                let mut result = self.process(*lhs)?;
                if !result.is_path() {
                    result = Node::new(Kind::Path(vec![result]), pos);
                }
                let mut sort = Node::new(Kind::Sort(Vec::new()), pos);
                let mut processed = Vec::with_capacity(terms.len());
                for term in terms {
                    let expr = self.process(term.expr)?;
                    push_ancestry(&mut sort, &expr);
                    processed.push(SortTerm {
                        descending: term.descending,
                        expr,
                    });
                }
                sort.kind = Kind::Sort(processed);
                if let Kind::Path(steps) = &mut result.kind {
                    steps.push(sort);
                }
                self.resolve_ancestry(&mut result)?;
                result
            }
            Kind::Assign(lhs, rhs) => {
                let name = match lhs.kind {
                    Kind::Variable(name) => name,
                    _ => String::new(),
                };
                let rhs = self.process(*rhs)?;
                let mut result =
                    Node::new(Kind::Bind(Arc::from(name.as_str()), Box::new(rhs)), pos);
                if let Kind::Bind(_, rhs) = &result.kind {
                    let slots = ancestry_of(rhs);
                    result.seeking_parent.extend(slots);
                }
                result
            }
            Kind::FocusBind(lhs, name) => {
                let mut result = self.process(*lhs)?;
                let step = last_step(&mut result);
                if !step.stages.is_empty() || !step.predicate.is_empty() {
                    return Err(syntax(
                        "S0215",
                        pos,
                        "a context variable binding must come before any predicate on a step",
                    ));
                }
                if matches!(step.kind, Kind::Sort(_)) {
                    return Err(syntax(
                        "S0216",
                        pos,
                        "a context variable binding must come before the order-by clause of a step",
                    ));
                }
                if keep_array {
                    step.keep_array = true;
                }
                step.focus = Some(Arc::from(name.as_str()));
                step.tuple = true;
                result
            }
            Kind::IndexBind(lhs, name) => {
                let mut result = self.process(*lhs)?;
                if !result.is_path() {
                    let mut step = result;
                    step.stages = std::mem::take(&mut step.predicate);
                    result = Node::new(Kind::Path(vec![step]), pos);
                }
                let step = last_step(&mut result);
                let name: Arc<str> = Arc::from(name.as_str());
                if step.stages.is_empty() {
                    step.index = Some(name);
                } else {
                    step.stages.push(Stage::Index(name));
                }
                step.tuple = true;
                result
            }
            Kind::Apply(lhs, rhs) => {
                let lhs = self.process(*lhs)?;
                let rhs = self.process(*rhs)?;
                let keep = lhs.keep_array || rhs.keep_array;
                let mut result = Node::new(Kind::Apply(Box::new(lhs), Box::new(rhs)), pos);
                result.keep_array = keep;
                result
            }
            Kind::Binary(op, lhs, rhs) => {
                let lhs = self.process(*lhs)?;
                let rhs = self.process(*rhs)?;
                let mut result = Node::new(Kind::Binary(op, Box::new(lhs), Box::new(rhs)), pos);
                if let Kind::Binary(_, l, r) = &result.kind {
                    let mut slots = ancestry_of(l);
                    slots.extend(ancestry_of(r));
                    result.seeking_parent = slots;
                }
                result
            }
            Kind::Array(items) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut processed = Vec::with_capacity(items.len());
                for item in items {
                    let value = self.process(item)?;
                    push_ancestry(&mut result, &value);
                    processed.push(value);
                }
                result.kind = Kind::Array(processed);
                result
            }
            Kind::Object(pairs) => {
                let mut result = Node::new(Kind::Null, pos);
                let pairs = self.pairs(pairs, Some(&mut result))?;
                result.kind = Kind::Object(pairs);
                result
            }
            Kind::Negate(inner) => {
                let inner = self.process(*inner)?;
                if let Kind::Num(n) = inner.kind {
                    Node::new(Kind::Num(-n), inner.pos)
                } else {
                    let slots = ancestry_of(&inner);
                    let mut result = Node::new(Kind::Negate(Box::new(inner)), pos);
                    result.seeking_parent = slots;
                    result
                }
            }
            Kind::Function(procedure, args) | Kind::Partial(procedure, args) => {
                let partial = args.iter().any(|a| matches!(a.kind, Kind::Placeholder));
                let mut result = Node::new(Kind::Null, pos);
                let mut processed = Vec::with_capacity(args.len());
                for arg in args {
                    let arg = self.process(arg)?;
                    push_ancestry(&mut result, &arg);
                    processed.push(arg);
                }
                let procedure = Box::new(self.process(*procedure)?);
                result.kind = if partial {
                    Kind::Partial(procedure, processed)
                } else {
                    Kind::Function(procedure, processed)
                };
                result
            }
            Kind::RawLambda(params, signature, body) => {
                let mut body = self.process(*body)?;
                self.finalize(&mut body);
                let params = params
                    .into_iter()
                    .map(|p| match p.kind {
                        Kind::Variable(name) => Arc::from(name.as_str()),
                        _ => Arc::from(""),
                    })
                    .collect();
                Node::new(
                    Kind::Lambda(Arc::new(LambdaDef {
                        params,
                        signature,
                        body,
                    })),
                    pos,
                )
            }
            Kind::Condition(condition, then, otherwise) => {
                let condition = self.process(*condition)?;
                let then = self.process(*then)?;
                let otherwise = otherwise.map(|e| self.process(*e)).transpose()?;
                let mut slots = ancestry_of(&condition);
                slots.extend(ancestry_of(&then));
                if let Some(e) = &otherwise {
                    slots.extend(ancestry_of(e));
                }
                let mut result = Node::new(
                    Kind::Condition(Box::new(condition), Box::new(then), otherwise.map(Box::new)),
                    pos,
                );
                result.seeking_parent = slots;
                result
            }
            Kind::RawTransform(pattern, update, delete) => {
                let mut def = TransformDef {
                    pattern: self.process(*pattern)?,
                    update: self.process(*update)?,
                    delete: delete.map(|d| self.process(*d)).transpose()?,
                };
                self.finalize(&mut def.pattern);
                self.finalize(&mut def.update);
                if let Some(d) = &mut def.delete {
                    self.finalize(d);
                }
                Node::new(Kind::Transform(Arc::new(def)), pos)
            }
            Kind::Block(items) => {
                let mut result = Node::new(Kind::Null, pos);
                let mut processed = Vec::with_capacity(items.len());
                for item in items {
                    let part = self.process(item)?;
                    push_ancestry(&mut result, &part);
                    let cons = part.consarray
                        || matches!(&part.kind, Kind::Path(steps) if steps.first().is_some_and(|s| s.consarray));
                    if cons {
                        result.consarray = true;
                    }
                    processed.push(part);
                }
                result.kind = Kind::Block(processed);
                result
            }
            Kind::Name(name) => {
                let mut step = Node::new(Kind::Name(name), pos);
                step.keep_array = keep_array;
                let mut result = Node::new(Kind::Path(vec![step]), pos);
                result.keep_singleton_array = keep_array;
                result
            }
            Kind::Parent(_) => {
                let id = self.slots.len();
                self.slots.push(SlotData {
                    label: id,
                    level: 1,
                });
                Node::new(Kind::Parent(Slot::Id(id)), pos)
            }
            Kind::End => {
                return Err(syntax("S0207", pos, "unexpected end of expression"));
            }
            other => Node::new(other, pos),
        };
        if keep_array {
            result.keep_array = true;
        }
        Ok(result)
    }

    fn pairs(
        &mut self,
        pairs: Vec<(Node, Node)>,
        mut owner: Option<&mut Node>,
    ) -> Result<Vec<(Node, Node)>> {
        let mut out = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let key = self.process(key)?;
            let value = self.process(value)?;
            if let Some(owner) = owner.as_deref_mut() {
                push_ancestry(owner, &key);
                push_ancestry(owner, &value);
            }
            out.push((key, value));
        }
        Ok(out)
    }

    fn dot(&mut self, lhs: Node, rhs: Node, pos: usize) -> Result<Node> {
        let lstep = self.process(lhs)?;
        let lparent = match &lstep.kind {
            Kind::Parent(Slot::Id(id)) => Some(*id),
            _ => None,
        };
        let mut result = if lstep.is_path() {
            lstep
        } else {
            Node::new(Kind::Path(vec![lstep]), pos)
        };
        if let Some(id) = lparent {
            result.seeking_parent = vec![id];
        }
        let rest = self.process(rhs)?;
        let Kind::Path(steps) = &mut result.kind else {
            return Ok(result);
        };
        match rest.kind {
            Kind::Path(more) => steps.extend(more),
            _ => {
                let mut rest = rest;
                if !rest.predicate.is_empty() {
                    rest.stages = std::mem::take(&mut rest.predicate);
                }
                steps.push(rest);
            }
        }
        for step in steps.iter_mut() {
            match &step.kind {
                Kind::Num(n) => {
                    return Err(syntax(
                        "S0213",
                        step.pos,
                        format!("the literal value {n} cannot be used as a step within a path"),
                    ));
                }
                Kind::Bool(_) | Kind::Null => {
                    return Err(syntax(
                        "S0213",
                        step.pos,
                        "a literal value cannot be used as a step within a path",
                    ));
                }
                Kind::Str(s) => step.kind = Kind::Name(s.clone()),
                _ => {}
            }
        }
        if steps.iter().any(|s| s.keep_array) {
            result.keep_singleton_array = true;
        }
        if let Kind::Path(steps) = &mut result.kind {
            if let Some(first) = steps.first_mut()
                && matches!(first.kind, Kind::Array(_))
            {
                first.consarray = true;
            }
            if let Some(last) = steps.last_mut()
                && matches!(last.kind, Kind::Array(_))
            {
                last.consarray = true;
            }
        }
        self.resolve_ancestry(&mut result)?;
        Ok(result)
    }
}

/// The step a filter or binding applies to: the last step of a path, or
/// the expression itself.
fn last_step(node: &mut Node) -> &mut Node {
    if !matches!(&node.kind, Kind::Path(steps) if !steps.is_empty()) {
        return node;
    }
    match &mut node.kind {
        Kind::Path(steps) => match steps.last_mut() {
            Some(step) => step,
            None => node_unreachable(),
        },
        _ => node_unreachable(),
    }
}

// `last_step` checks that the path has a step before it takes it.
#[allow(clippy::panic)]
fn node_unreachable() -> ! {
    panic!("a path without steps")
}

/// The parent slots `value` still looks for (its own, if it is `%`).
fn ancestry_of(value: &Node) -> Vec<usize> {
    let mut slots = value.seeking_parent.clone();
    if let Kind::Parent(Slot::Id(id)) = value.kind {
        slots.push(id);
    }
    slots
}

fn push_ancestry(result: &mut Node, value: &Node) {
    result.seeking_parent.extend(ancestry_of(value));
}
