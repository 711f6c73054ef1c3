//! The state machine as a picture: an SVG of the definition's states and transitions,
//! laid out in ranks from `StartAt`, each state coloured by what an execution did there.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::html::esc;

/// What an execution did in a state, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRun {
    Entered,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    Next,
    Catch,
    Branch,
}

struct Node {
    name: String,
    kind: String,
}

#[derive(Default)]
struct Flat {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
    edges: Vec<(usize, usize, EdgeKind)>,
    start: Option<usize>,
}

impl Flat {
    fn node(&mut self, name: &str, kind: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.nodes.push(Node {
            name: name.to_owned(),
            kind: kind.to_owned(),
        });
        self.index.insert(name.to_owned(), self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Flatten one `{StartAt, States}` scope; returns its start node and its end nodes.
    fn scope(&mut self, machine: &Value) -> (Option<usize>, Vec<usize>) {
        let Some(states) = machine.get("States").and_then(Value::as_object) else {
            return (None, vec![]);
        };
        for (name, state) in states {
            self.node(
                name,
                state.get("Type").and_then(Value::as_str).unwrap_or("?"),
            );
        }
        let mut ends = Vec::new();
        for (name, state) in states {
            let from = self.node(name, "");
            let mut targets: Vec<(&str, EdgeKind)> = Vec::new();
            if let Some(n) = state.get("Next").and_then(Value::as_str) {
                targets.push((n, EdgeKind::Next));
            }
            if let Some(n) = state.get("Default").and_then(Value::as_str) {
                targets.push((n, EdgeKind::Next));
            }
            for list in ["Choices", "Catch"] {
                let kind = if list == "Catch" {
                    EdgeKind::Catch
                } else {
                    EdgeKind::Next
                };
                for c in state
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(n) = c.get("Next").and_then(Value::as_str) {
                        targets.push((n, kind));
                    }
                }
            }
            for (to, kind) in targets {
                if let Some(&t) = self.index.get(to) {
                    self.edges.push((from, t, kind));
                }
            }
            let kind = state.get("Type").and_then(Value::as_str).unwrap_or("");
            let is_end = state.get("End").and_then(Value::as_bool).unwrap_or(false)
                || kind == "Succeed"
                || kind == "Fail";
            if is_end {
                ends.push(from);
            }
            // Parallel branches and Map iterators hang below their state and rejoin at its Next.
            let mut inner = Vec::new();
            for b in state
                .get("Branches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                inner.push(b);
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(p) = state.get(key) {
                    inner.push(p);
                }
            }
            let next = state
                .get("Next")
                .and_then(Value::as_str)
                .and_then(|n| self.index.get(n).copied());
            for sub in inner {
                let (s, sub_ends) = self.scope(sub);
                if let Some(s) = s {
                    self.edges.push((from, s, EdgeKind::Branch));
                }
                if let Some(n) = next {
                    for e in sub_ends {
                        self.edges.push((e, n, EdgeKind::Branch));
                    }
                }
            }
        }
        let start = machine
            .get("StartAt")
            .and_then(Value::as_str)
            .and_then(|s| self.index.get(s).copied());
        (start, ends)
    }
}

/// Longest-path ranks from the start, ignoring edges that close a cycle.
fn ranks(flat: &Flat) -> Vec<usize> {
    let n = flat.nodes.len();
    let mut out: Vec<Vec<usize>> = vec![vec![]; n];
    for &(a, b, _) in &flat.edges {
        out[a].push(b);
    }
    // depth-first order to find back edges
    let mut back = HashSet::new();
    let mut state = vec![0u8; n];
    let mut order = Vec::new();
    let roots: Vec<usize> = flat.start.into_iter().chain(0..n).collect();
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some((v, i)) = stack.pop() {
            if i < out[v].len() {
                stack.push((v, i + 1));
                let w = out[v][i];
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => {
                        back.insert((v, w));
                    }
                    _ => {}
                }
            } else {
                state[v] = 2;
                order.push(v);
            }
        }
    }
    order.reverse();
    let mut rank = vec![0usize; n];
    for &v in &order {
        for &w in &out[v] {
            if !back.contains(&(v, w)) && rank[w] < rank[v] + 1 {
                rank[w] = rank[v] + 1;
            }
        }
    }
    rank
}

const W: i64 = 190;
const H: i64 = 40;
const GAP_X: i64 = 30;
const GAP_Y: i64 = 56;

/// An SVG of `definition`, with states coloured from `runs`.
pub fn render_svg(definition: &Value, runs: &BTreeMap<String, StateRun>) -> String {
    let mut flat = Flat::default();
    let (start, _) = flat.scope(definition);
    flat.start = start;
    if flat.nodes.is_empty() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"40\"><text x=\"10\" y=\"25\">no states</text></svg>".into();
    }
    let rank = ranks(&flat);
    let mut rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in rank.iter().enumerate() {
        rows.entry(*r).or_default().push(i);
    }
    let widest = rows.values().map(Vec::len).max().unwrap_or(1) as i64;
    let width = widest * (W + GAP_X) + GAP_X;
    let height = rows.len() as i64 * (H + GAP_Y) + GAP_Y;
    let mut pos = vec![(0i64, 0i64); flat.nodes.len()];
    for (r, members) in &rows {
        let row_w = members.len() as i64 * (W + GAP_X) - GAP_X;
        let x0 = (width - row_w) / 2;
        for (k, &i) in members.iter().enumerate() {
            pos[i] = (
                x0 + k as i64 * (W + GAP_X),
                GAP_Y / 2 + *r as i64 * (H + GAP_Y),
            );
        }
    }
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>"
    );
    for &(a, b, kind) in &flat.edges {
        let (ax, ay) = pos[a];
        let (bx, by) = pos[b];
        let (x1, y1) = (ax + W / 2, ay + H);
        let (x2, y2) = (bx + W / 2, by);
        let style = match kind {
            EdgeKind::Next => "stroke=\"#555\"",
            EdgeKind::Catch => "stroke=\"#c0392b\" stroke-dasharray=\"5,4\"",
            EdgeKind::Branch => "stroke=\"#2c6fbb\"",
        };
        if y2 > y1 {
            let my = (y1 + y2) / 2;
            svg.push_str(&format!(
                "<path d=\"M{x1},{y1} C{x1},{my} {x2},{my} {x2},{y2}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>"
            ));
        } else {
            // an edge going up (a loop): around the right side
            let side = ax.max(bx) + W + GAP_X / 2;
            svg.push_str(&format!(
                "<path d=\"M{},{} C{side},{} {side},{} {},{}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>",
                ax + W,
                ay + H / 2,
                ay + H / 2,
                by + H / 2,
                bx + W,
                by + H / 2
            ));
        }
    }
    for (i, node) in flat.nodes.iter().enumerate() {
        let (x, y) = pos[i];
        let (fill, stroke, class) = match runs.get(&node.name) {
            Some(StateRun::Succeeded) => ("#dff3e4", "#2e8b57", "succeeded"),
            Some(StateRun::Failed) => ("#fbe0dd", "#c0392b", "failed"),
            Some(StateRun::Entered) => ("#e0ecfb", "#2c6fbb", "running"),
            None => ("#f4f4f4", "#999", "not-run"),
        };
        svg.push_str(&format!(
            "<g class=\"state {class}\" data-state=\"{name}\"><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\
<text x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\" font-weight=\"bold\">{name}</text><text x=\"{tx}\" y=\"{ty2}\" text-anchor=\"middle\" fill=\"#666\" font-size=\"10\">{kind}</text></g>",
            name = esc(&node.name),
            kind = esc(&node.kind),
            tx = x + W / 2,
            ty = y + 17,
            ty2 = y + 31,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Colour states from a history: entered, exited (succeeded) or failed.
pub fn runs_from_history(history: &[Value]) -> BTreeMap<String, StateRun> {
    let mut runs = BTreeMap::new();
    let mut current: Vec<String> = Vec::new();
    for ev in history {
        let ty = ev.get("type").and_then(Value::as_str).unwrap_or("");
        let name = ev
            .get("details")
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if ty.ends_with("StateEntered") {
            if let Some(n) = name {
                runs.insert(n.clone(), StateRun::Entered);
                current.push(n);
            }
        } else if ty.ends_with("StateExited") {
            if let Some(n) = name {
                if runs.get(&n) != Some(&StateRun::Failed) {
                    runs.insert(n.clone(), StateRun::Succeeded);
                }
                current.retain(|c| c != &n);
            }
        } else if ty == "TaskSucceeded" {
            // a retry that worked: the state is running normally again
            if let Some(n) = current.last() {
                runs.insert(n.clone(), StateRun::Entered);
            }
        } else if ty.ends_with("Failed") || ty.ends_with("TimedOut") {
            // a failure belongs to the innermost state still open
            if let Some(n) = current.last() {
                runs.insert(n.clone(), StateRun::Failed);
            }
        }
    }
    // a Fail state is entered but never exits: it failed the execution
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn draws_every_state_and_colours_runs() {
        let def = json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Task", "Resource": "x", "Next": "P", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
                "P": {"Type": "Parallel", "Branches": [
                    {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": true}}}
                ], "Next": "L"},
                "L": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "A"}], "Default": "S"},
                "S": {"Type": "Succeed"},
                "F": {"Type": "Fail"}
            }
        });
        let mut runs = BTreeMap::new();
        runs.insert("A".to_owned(), StateRun::Succeeded);
        runs.insert("F".to_owned(), StateRun::Failed);
        let svg = render_svg(&def, &runs);
        for name in ["A", "P", "B1", "B2", "L", "S", "F"] {
            assert!(
                svg.contains(&format!("data-state=\"{name}\"")),
                "{name} missing"
            );
        }
        assert!(svg.contains("class=\"state succeeded\" data-state=\"A\""));
        assert!(svg.contains("class=\"state failed\" data-state=\"F\""));
        assert!(svg.contains("class=\"state not-run\" data-state=\"S\""));
    }

    #[test]
    fn history_marks_states() {
        let h = vec![
            json!({"type": "TaskStateEntered", "details": {"name": "A"}}),
            json!({"type": "TaskFailed", "details": {}}),
            json!({"type": "TaskStateExited", "details": {"name": "A"}}),
            json!({"type": "PassStateEntered", "details": {"name": "B"}}),
            json!({"type": "PassStateExited", "details": {"name": "B"}}),
        ];
        let runs = runs_from_history(&h);
        assert_eq!(runs.get("A"), Some(&StateRun::Failed));
        assert_eq!(runs.get("B"), Some(&StateRun::Succeeded));
    }
}
