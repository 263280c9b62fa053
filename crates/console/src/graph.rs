//! The state machine as an SVG picture, drawn from its ASL definition: one
//! box per state, top to bottom in the order of its transitions, Parallel
//! branches side by side and Map iterations inside a group box, each state
//! coloured by how far an execution got there. Nothing is laid out by a
//! browser script: the page ships the SVG as it is.
//!
//! The layout is layered: a state sits one layer below the deepest state
//! that leads to it on a forward path from `StartAt` (back edges, such as a
//! retry loop through a Choice, are drawn to the side). A Parallel or Map
//! state is a group whose size is the size of what it holds.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use responder_workflow::render::html_escape;
use serde_json::Value;

/// A state's box.
const BOX_W: f64 = 176.0;
const BOX_H: f64 = 34.0;
/// Space between layers, between boxes of a layer, inside a group.
const GAP_Y: f64 = 26.0;
const GAP_X: f64 = 18.0;
const PAD: f64 = 14.0;
const LABEL_H: f64 = 20.0;

/// How far an execution got in a state, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateStatus {
    NotRun,
    Running,
    Succeeded,
    /// Failed, and the failure was caught by a `Catch`.
    Caught,
    Failed,
}

impl StateStatus {
    /// What a person reads in the legend.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotRun => "not run",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Caught => "failed, then caught",
            Self::Failed => "failed",
        }
    }

    /// The CSS class of the state's box.
    pub fn class(self) -> &'static str {
        match self {
            Self::NotRun => "not-run",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Caught => "caught",
            Self::Failed => "failed",
        }
    }
}

/// A laid-out flow (the top level, a Parallel branch, a Map's processor).
#[derive(Debug)]
struct Flow {
    nodes: Vec<Node>,
    edges: Vec<(String, String)>,
    width: f64,
    height: f64,
}

/// A laid-out state, relative to its flow's top left corner.
#[derive(Debug)]
struct Node {
    name: String,
    kind: String,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    /// What a Parallel or Map holds, relative to this node.
    inner: Vec<(f64, f64, Flow)>,
}

/// The states a state can go to next.
fn successors(state: &Value) -> Vec<String> {
    let mut next = Vec::new();
    let mut add = |v: &Value| {
        if let Some(name) = v.as_str()
            && !next.iter().any(|n| n == name)
        {
            next.push(name.to_owned());
        }
    };
    add(&state["Next"]);
    for choice in state["Choices"].as_array().into_iter().flatten() {
        add(&choice["Next"]);
    }
    add(&state["Default"]);
    for catch in state["Catch"].as_array().into_iter().flatten() {
        add(&catch["Next"]);
    }
    next
}

/// Lays out the flow of `states` starting at `start`. States that no path
/// from `start` reaches are put last, so that nothing is hidden.
fn layout(states: &serde_json::Map<String, Value>, start: &str) -> Flow {
    // Layers: the longest forward path from the start, ignoring back edges
    // (an edge to a state already on the current path).
    let mut order: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(name) = queue.pop_front() {
        if !states.contains_key(&name) || !seen.insert(name.clone()) {
            continue;
        }
        order.push(name.clone());
        queue.extend(successors(&states[&name]));
    }
    for name in states.keys() {
        if seen.insert(name.clone()) {
            order.push(name.clone());
        }
    }
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut layer: HashMap<&str, usize> = HashMap::new();
    let mut edges = Vec::new();
    for (name_rank, name) in order.iter().enumerate() {
        let here = *layer.entry(name.as_str()).or_insert(0);
        for next in successors(states.get(name).unwrap_or(&Value::Null)) {
            let Some((&next_name, &next_rank)) = rank.get_key_value(next.as_str()) else {
                continue;
            };
            edges.push((name.clone(), next.clone()));
            // Forward edges push the target down; back edges do not.
            if next_rank > name_rank {
                let entry = layer.entry(next_name).or_insert(0);
                *entry = (*entry).max(here + 1);
            }
        }
    }

    // Each node's size: a box, or the group of what it holds.
    let mut nodes: Vec<Node> = order
        .iter()
        .map(|name| node(name, states.get(name).unwrap_or(&Value::Null)))
        .collect();

    // Place layer by layer, each centred on the widest.
    let mut layers: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, name) in order.iter().enumerate() {
        let at = layer.get(name.as_str()).copied().unwrap_or(0);
        layers.entry(at).or_default().push(i);
    }
    let widths: Vec<f64> = layers
        .values()
        .map(|ids| {
            ids.iter()
                .filter_map(|&i| nodes.get(i))
                .map(|n| n.width)
                .sum::<f64>()
                + GAP_X * (ids.len().saturating_sub(1)) as f64
        })
        .collect();
    let width = widths.iter().copied().fold(BOX_W, f64::max);
    let mut y = 0.0;
    for (ids, row_width) in layers.values().zip(&widths) {
        let mut x = (width - row_width) / 2.0;
        let row_height = ids
            .iter()
            .filter_map(|&i| nodes.get(i))
            .map(|n| n.height)
            .fold(0.0, f64::max);
        for &i in ids {
            let Some(node) = nodes.get_mut(i) else {
                continue;
            };
            node.x = x;
            node.y = y + (row_height - node.height) / 2.0;
            x += node.width + GAP_X;
        }
        y += row_height + GAP_Y;
    }
    Flow {
        nodes,
        edges,
        width,
        height: (y - GAP_Y).max(0.0),
    }
}

/// One state: a box, or a Parallel's branches side by side, or a Map's
/// processor, in a group.
fn node(name: &str, state: &Value) -> Node {
    let kind = state["Type"].as_str().unwrap_or("Task").to_owned();
    let flows: Vec<Flow> = match kind.as_str() {
        "Parallel" => state["Branches"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(sub_flow)
            .collect(),
        "Map" => {
            let processor = if state["ItemProcessor"].is_object() {
                &state["ItemProcessor"]
            } else {
                &state["Iterator"]
            };
            sub_flow(processor).into_iter().collect()
        }
        _ => Vec::new(),
    };
    if flows.is_empty() {
        return Node {
            name: name.to_owned(),
            kind,
            x: 0.0,
            y: 0.0,
            width: BOX_W,
            height: BOX_H,
            inner: Vec::new(),
        };
    }
    let mut inner = Vec::new();
    let mut x = PAD;
    let mut height: f64 = 0.0;
    for flow in flows {
        height = height.max(flow.height);
        let w = flow.width;
        inner.push((x, LABEL_H + PAD, flow));
        x += w + GAP_X;
    }
    Node {
        name: name.to_owned(),
        kind,
        x: 0.0,
        y: 0.0,
        width: (x - GAP_X + PAD).max(BOX_W),
        height: LABEL_H + PAD + height + PAD,
        inner,
    }
}

fn sub_flow(definition: &Value) -> Option<Flow> {
    let states = definition["States"].as_object()?;
    let start = definition["StartAt"].as_str()?;
    Some(layout(states, start))
}

/// The SVG of `definition` (an ASL document), each state coloured by
/// `status` (absent: not run). Every state is a `<g class="state …"
/// data-state="Name">`, which the page makes clickable.
pub fn svg(definition: &Value, status: &HashMap<String, StateStatus>) -> Option<String> {
    let flow = sub_flow(definition)?;
    let (width, height) = (flow.width + 2.0 * PAD, flow.height + 2.0 * PAD);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"state-machine\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"The state machine\">\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>"
    );
    draw(&mut out, &flow, PAD, PAD, status);
    out.push_str("</svg>");
    Some(out)
}

fn draw(out: &mut String, flow: &Flow, ox: f64, oy: f64, status: &HashMap<String, StateStatus>) {
    let at: HashMap<&str, &Node> = flow.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    for (from, to) in &flow.edges {
        let (Some(a), Some(b)) = (at.get(from.as_str()), at.get(to.as_str())) else {
            continue;
        };
        let (x1, y1) = (ox + a.x + a.width / 2.0, oy + a.y + a.height);
        let (x2, y2) = (ox + b.x + b.width / 2.0, oy + b.y);
        if y2 > y1 {
            let mid = (y1 + y2) / 2.0;
            let _ = write!(
                out,
                "<path class=\"edge\" d=\"M {x1} {y1} C {x1} {mid}, {x2} {mid}, {x2} {y2}\" marker-end=\"url(#arrow)\"/>"
            );
        } else {
            // A back edge: out of the right side, up, into the target's side.
            let (sx, sy) = (ox + a.x + a.width, oy + a.y + a.height / 2.0);
            let (tx, ty) = (ox + b.x + b.width, oy + b.y + b.height / 2.0);
            let bulge = sx.max(tx) + 30.0;
            let _ = write!(
                out,
                "<path class=\"edge back\" d=\"M {sx} {sy} C {bulge} {sy}, {bulge} {ty}, {tx} {ty}\" marker-end=\"url(#arrow)\"/>"
            );
        }
    }
    for node in &flow.nodes {
        let (x, y) = (ox + node.x, oy + node.y);
        let state = status
            .get(&node.name)
            .copied()
            .unwrap_or(StateStatus::NotRun);
        // The page embeds this SVG as it is (pre-escaped): its only text,
        // the state's name and type, is escaped here.
        let name = html_escape(&node.name);
        let kind = html_escape(&node.kind);
        let _ = write!(
            out,
            "<g class=\"state {} {}\" data-state=\"{name}\" tabindex=\"0\"><title>{name} ({kind})</title>",
            state.class(),
            if node.inner.is_empty() {
                "task"
            } else {
                "group"
            }
        );
        if node.inner.is_empty() {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"6\"/><text x=\"{}\" y=\"{}\">{name}</text>",
                node.width,
                node.height,
                x + node.width / 2.0,
                y + node.height / 2.0 + 4.0
            );
        } else {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"8\"/><text class=\"label\" x=\"{}\" y=\"{}\">{name} · {kind}</text>",
                node.width,
                node.height,
                x + PAD,
                y + LABEL_H - 4.0
            );
        }
        out.push_str("</g>");
        for (ix, iy, inner) in &node.inner {
            draw(out, inner, x + ix, y + iy, status);
        }
    }
}

/// Each state's status from an execution's history events (as
/// `get_execution` gives them: `id`, `previous_event_id`, `type`, `name`).
/// A failure event names no state: it belongs to the state its chain of
/// previous events entered last. A state that failed and then exited (a
/// retry that worked, or a Catch) is `Caught`.
pub fn statuses(events: &[Value], finished: bool) -> HashMap<String, StateStatus> {
    let mut entered: HashSet<&str> = HashSet::new();
    let mut failed: HashSet<&str> = HashSet::new();
    let mut exited: HashSet<&str> = HashSet::new();
    for (event, name) in events.iter().zip(state_of_each(events)) {
        let Some(name) = name else {
            continue;
        };
        let kind = event["type"].as_str().unwrap_or_default();
        if kind.ends_with("StateEntered") {
            entered.insert(name);
        } else if kind.ends_with("StateExited") {
            exited.insert(name);
        } else if kind.ends_with("Failed") || kind.ends_with("TimedOut") {
            failed.insert(name);
        }
    }
    entered
        .into_iter()
        .map(|name| {
            let status = match (failed.contains(name), exited.contains(name)) {
                (true, true) => StateStatus::Caught,
                (true, false) if finished => StateStatus::Failed,
                (false, true) => StateStatus::Succeeded,
                _ if finished => StateStatus::Failed,
                _ => StateStatus::Running,
            };
            (name.to_owned(), status)
        })
        .collect()
}

/// The state each event belongs to, as AWS chains them
/// (`previous_event_id`):
/// - an event that names a state is that state's: `...StateEntered`,
///   `...StateExited`, `MapIteration...` (the Map's name), `EvaluationFailed`;
/// - a Map's or Parallel's own events (`MapStateStarted`, `MapStateFailed`,
///   `ParallelStateSucceeded`, ...) belong to the Map or Parallel: their
///   previous event is its `...StateEntered` or an event inside one of its
///   iterations or branches (AWS chains `MapStateFailed` to the failing
///   iteration's last event);
/// - any other event is the state of the event before it.
///
/// Events outside any state get `None`.
pub fn state_of_each(events: &[Value]) -> Vec<Option<&str>> {
    // For each event id: its state, and the Map or Parallel whose iteration
    // or branch the events chained after it run in.
    let mut state_of_event: HashMap<u64, &str> = HashMap::new();
    let mut inside_of_event: HashMap<u64, &str> = HashMap::new();
    // For each state: the Map or Parallel it runs in (state names are unique
    // across a whole state machine, nested ones included).
    let mut parent: HashMap<&str, &str> = HashMap::new();
    // The ids of `MapStateEntered` and `ParallelStateEntered` events.
    let mut fan_out_entered: HashMap<u64, &str> = HashMap::new();
    events
        .iter()
        .map(|event| {
            let kind = event["type"].as_str().unwrap_or_default();
            let previous = event["previous_event_id"].as_u64();
            let inside_previous = previous.and_then(|p| inside_of_event.get(&p).copied());
            let fan_out_event = (kind.starts_with("Map") || kind.starts_with("Parallel"))
                && !kind.ends_with("StateEntered")
                && !kind.ends_with("StateExited");
            let name = if let Some(name) = event["name"].as_str() {
                Some(name)
            } else if fan_out_event {
                previous
                    .and_then(|p| fan_out_entered.get(&p).copied())
                    .or(inside_previous)
            } else {
                previous.and_then(|p| state_of_event.get(&p).copied())
            };
            let inside = if kind.ends_with("StateEntered") {
                if let (Some(name), Some(outer)) = (name, inside_previous) {
                    parent.insert(name, outer);
                }
                inside_previous
            } else if kind.ends_with("StateExited") {
                name.and_then(|n| parent.get(n).copied())
            } else if matches!(
                kind,
                "MapStateStarted"
                    | "ParallelStateStarted"
                    | "MapIterationStarted"
                    | "MapIterationSucceeded"
                    | "MapIterationFailed"
                    | "MapIterationAborted"
            ) {
                name
            } else if fan_out_event {
                name.and_then(|n| parent.get(n).copied())
            } else {
                inside_previous
            };
            if let Some(id) = event["id"].as_u64() {
                if let Some(name) = name {
                    state_of_event.insert(id, name);
                    if matches!(kind, "MapStateEntered" | "ParallelStateEntered") {
                        fan_out_entered.insert(id, name);
                    }
                }
                if let Some(inside) = inside {
                    inside_of_event.insert(id, inside);
                }
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asl() -> Value {
        let text = include_str!("../../../statemachine/incident-response.asl.json");
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    /// Every state's box, with its position, from the SVG.
    fn boxes(svg: &str) -> Vec<(String, f64, f64, f64, f64)> {
        svg.split("<g class=\"state ")
            .skip(1)
            .filter_map(|part| {
                let name = part
                    .split("data-state=\"")
                    .nth(1)?
                    .split('"')
                    .next()?
                    .to_owned();
                let rect = part.split("<rect ").nth(1)?;
                let attr = |key: &str| -> Option<f64> {
                    rect.split(&format!("{key}=\""))
                        .nth(1)?
                        .split('"')
                        .next()?
                        .parse()
                        .ok()
                };
                Some((
                    name,
                    attr("x")?,
                    attr("y")?,
                    attr("width")?,
                    attr("height")?,
                ))
            })
            .collect()
    }

    #[test]
    fn every_state_of_the_shipped_workflow_is_drawn_once() {
        let svg = svg(&asl(), &HashMap::new()).unwrap_or_default();
        #[allow(clippy::disallowed_methods)] // GRAPH_SVG=path writes the picture, to look at.
        if let Some(path) = std::env::var_os("GRAPH_SVG") {
            let _ = std::fs::write(path, &svg);
        }
        let drawn = boxes(&svg);
        assert_eq!(drawn.len(), 35, "every state, nested ones included");
        let names: HashSet<&str> = drawn.iter().map(|b| b.0.as_str()).collect();
        for state in [
            "NormalizeAlert",
            "ForEachAlert",
            "GatherContext",
            "QueryHistory",
            "QueryLogs",
            "QueryChanges",
            "ChangesUnavailable",
            "Distribute",
            "Deliver",
            "NotifyRepeat",
            "TellSuppression",
            "RecordOutcome",
        ] {
            assert!(names.contains(state), "{state} is missing");
        }
        assert!(svg.contains("data-state=\"ForEachAlert\"") && svg.contains("ForEachAlert · Map"));
        assert!(svg.contains("GatherContext · Parallel"));
    }

    #[test]
    fn a_group_holds_its_states_and_boxes_of_one_flow_do_not_overlap() {
        let svg = svg(&asl(), &HashMap::new()).unwrap_or_default();
        let drawn = boxes(&svg);
        let find = |name: &str| drawn.iter().find(|b| b.0 == name).cloned();
        let (_, gx, gy, gw, gh) = find("GatherContext").unwrap_or_default();
        for inner in [
            "QueryHistory",
            "QueryLogs",
            "HistoryUnavailable",
            "LogsUnavailable",
        ] {
            let (_, x, y, w, h) = find(inner).unwrap_or_default();
            assert!(
                x >= gx && y >= gy && x + w <= gx + gw && y + h <= gy + gh,
                "{inner} is outside its Parallel"
            );
        }
        let (_, qx, _, qw, _) = find("QueryHistory").unwrap_or_default();
        let (_, lx, ..) = find("QueryLogs").unwrap_or_default();
        assert!(lx >= qx + qw, "the branches are side by side");
        let tasks: Vec<_> = drawn
            .iter()
            .filter(|b| b.3 == BOX_W && b.4 == BOX_H)
            .collect();
        for (i, a) in tasks.iter().enumerate() {
            for b in tasks.iter().skip(i + 1) {
                let apart =
                    a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1 || a.2 + a.4 <= b.2 || b.2 + b.4 <= a.2;
                assert!(apart, "{} overlaps {}", a.0, b.0);
            }
        }
    }

    #[test]
    fn states_carry_their_status_and_names_are_escaped() {
        let status = HashMap::from([
            ("NormalizeAlert".to_owned(), StateStatus::Succeeded),
            ("QueryLogs".to_owned(), StateStatus::Caught),
            ("RequestApproval".to_owned(), StateStatus::Running),
        ]);
        let svg = svg(&asl(), &status).unwrap_or_default();
        assert!(svg.contains("class=\"state succeeded task\" data-state=\"NormalizeAlert\""));
        assert!(svg.contains("class=\"state caught task\" data-state=\"QueryLogs\""));
        assert!(svg.contains("class=\"state running task\" data-state=\"RequestApproval\""));
        assert!(svg.contains("class=\"state not-run task\" data-state=\"Suppress\""));

        let hostile: Value =
            serde_json::json!({"StartAt": "<script>", "States": {"<script>": {"Type": "Succeed"}}});
        let drawn = super::svg(&hostile, &HashMap::new()).unwrap_or_default();
        assert!(!drawn.contains("<script>") && drawn.contains("&lt;script&gt;"));
    }

    #[test]
    fn statuses_follow_the_history_and_a_failure_belongs_to_its_state() {
        let events: Vec<Value> = serde_json::from_value(serde_json::json!([
            {"id": 1, "type": "ExecutionStarted"},
            {"id": 2, "previous_event_id": 1, "type": "TaskStateEntered", "name": "NormalizeAlert"},
            {"id": 3, "previous_event_id": 2, "type": "TaskScheduled"},
            {"id": 4, "previous_event_id": 3, "type": "TaskStateExited", "name": "NormalizeAlert"},
            {"id": 5, "previous_event_id": 4, "type": "TaskStateEntered", "name": "QueryLogs"},
            {"id": 6, "previous_event_id": 5, "type": "TaskFailed", "error": "Logs.Failed"},
            {"id": 7, "previous_event_id": 6, "type": "TaskStateExited", "name": "QueryLogs"},
            {"id": 8, "previous_event_id": 7, "type": "TaskStateEntered", "name": "RequestApproval"},
            {"id": 9, "previous_event_id": 8, "type": "TaskScheduled"}
        ]))
        .unwrap_or_default();
        let running = statuses(&events, false);
        assert_eq!(running.get("NormalizeAlert"), Some(&StateStatus::Succeeded));
        assert_eq!(running.get("QueryLogs"), Some(&StateStatus::Caught));
        assert_eq!(running.get("RequestApproval"), Some(&StateStatus::Running));
        assert_eq!(running.get("Analyze"), None);
        let ended = statuses(&events, true);
        assert_eq!(ended.get("RequestApproval"), Some(&StateStatus::Failed));
    }

    /// AWS's chains (the Step Functions engine writes them too): a Map's
    /// `MapStateFailed` follows the failing iteration's last event, a retried
    /// Map starts again after it, a plain Lambda ARN writes `LambdaFunction*`
    /// events, `EvaluationFailed` names its state.
    #[test]
    fn map_parallel_and_lambda_events_belong_to_their_states() {
        let events: Vec<Value> = serde_json::from_value(serde_json::json!([
            {"id": 1, "previous_event_id": 0, "type": "ExecutionStarted"},
            {"id": 2, "previous_event_id": 0, "type": "MapStateEntered", "name": "Each"},
            {"id": 3, "previous_event_id": 2, "type": "MapStateStarted"},
            {"id": 4, "previous_event_id": 3, "type": "MapIterationStarted", "name": "Each", "index": 0},
            {"id": 5, "previous_event_id": 4, "type": "TaskStateEntered", "name": "Work"},
            {"id": 6, "previous_event_id": 5, "type": "LambdaFunctionScheduled"},
            {"id": 7, "previous_event_id": 6, "type": "LambdaFunctionStarted"},
            {"id": 8, "previous_event_id": 7, "type": "LambdaFunctionFailed", "error": "Boom"},
            {"id": 9, "previous_event_id": 8, "type": "MapIterationFailed", "name": "Each", "index": 0},
            {"id": 10, "previous_event_id": 8, "type": "MapStateStarted"},
            {"id": 11, "previous_event_id": 10, "type": "MapIterationStarted"},
            {"id": 12, "previous_event_id": 11, "type": "TaskStateEntered", "name": "Work"},
            {"id": 13, "previous_event_id": 12, "type": "LambdaFunctionScheduled"},
            {"id": 14, "previous_event_id": 13, "type": "LambdaFunctionStarted"},
            {"id": 15, "previous_event_id": 14, "type": "LambdaFunctionFailed", "error": "Boom"},
            {"id": 16, "previous_event_id": 15, "type": "MapIterationFailed"},
            {"id": 17, "previous_event_id": 15, "type": "MapStateFailed"},
            {"id": 18, "previous_event_id": 17, "type": "MapStateExited", "name": "Each"},
            {"id": 19, "previous_event_id": 18, "type": "ParallelStateEntered", "name": "Both"},
            {"id": 20, "previous_event_id": 19, "type": "ParallelStateStarted"},
            {"id": 21, "previous_event_id": 20, "type": "PassStateEntered", "name": "Left"},
            {"id": 22, "previous_event_id": 20, "type": "PassStateEntered", "name": "Right"},
            {"id": 23, "previous_event_id": 21, "type": "PassStateExited", "name": "Left"},
            {"id": 24, "previous_event_id": 22, "type": "PassStateExited", "name": "Right"},
            {"id": 25, "previous_event_id": 24, "type": "ParallelStateSucceeded"},
            {"id": 26, "previous_event_id": 24, "type": "ParallelStateExited", "name": "Both"},
            {"id": 27, "previous_event_id": 26, "type": "PassStateEntered", "name": "Last"},
            {"id": 28, "previous_event_id": 26, "type": "EvaluationFailed", "name": "Last", "error": "States.QueryEvaluationError"},
            {"id": 29, "previous_event_id": 28, "type": "ExecutionFailed"}
        ]))
        .unwrap_or_default();
        let states = state_of_each(&events);
        let expected = [
            None,
            Some("Each"),
            Some("Each"),
            Some("Each"),
            Some("Work"),
            Some("Work"),
            Some("Work"),
            Some("Work"),
            Some("Each"),
            Some("Each"),
            Some("Each"),
            Some("Work"),
            Some("Work"),
            Some("Work"),
            Some("Work"),
            Some("Each"),
            Some("Each"),
            Some("Each"),
            Some("Both"),
            Some("Both"),
            Some("Left"),
            Some("Right"),
            Some("Left"),
            Some("Right"),
            Some("Both"),
            Some("Both"),
            Some("Last"),
            Some("Last"),
            Some("Last"),
        ];
        assert_eq!(states, expected);
        let ended = statuses(&events, true);
        assert_eq!(ended.get("Each"), Some(&StateStatus::Caught));
        assert_eq!(ended.get("Work"), Some(&StateStatus::Failed));
        assert_eq!(ended.get("Both"), Some(&StateStatus::Succeeded));
        assert_eq!(ended.get("Left"), Some(&StateStatus::Succeeded));
        assert_eq!(ended.get("Last"), Some(&StateStatus::Failed));
    }
}
