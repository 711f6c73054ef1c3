//! The state machine as a picture, drawn from the ASL: an SVG where each scope's states are
//! laid out in ranks from its `StartAt`, Parallel and Map states are containers holding
//! their branches side by side, and each state is coloured by how it ended
//! ([`RunStatus`]: succeeded, failed, caught, cancelled, running, not run). Every state is
//! a link to `#state-NAME`, the page's details of that state.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::html::esc;
use crate::runs::RunStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    Next,
    Catch,
}

const W: i64 = 190;
const H: i64 = 40;
const GAP_X: i64 = 24;
const GAP_Y: i64 = 44;
/// room above a container's branches for its name
const HEADER: i64 = 40;
const PAD: i64 = 12;
/// the right-hand lane of catch edges
const LANE: i64 = 36;

/// One state placed in its scope (x, y relative to the scope).
struct Node {
    name: String,
    kind: String,
    x: i64,
    y: i64,
    w: i64,
    h: i64,
    /// a container's branches, placed relative to the node
    branches: Vec<(i64, i64, Scope)>,
}

/// One `{StartAt, States}` laid out.
struct Scope {
    nodes: Vec<Node>,
    edges: Vec<(usize, usize, EdgeKind)>,
    w: i64,
    h: i64,
}

/// Longest-path ranks from `start`, ignoring edges that close a cycle.
fn ranks(n: usize, start: Option<usize>, edges: &[(usize, usize, EdgeKind)]) -> Vec<usize> {
    let mut out: Vec<Vec<usize>> = vec![vec![]; n];
    for &(a, b, _) in edges {
        out[a].push(b);
    }
    let mut back = HashSet::new();
    let mut state = vec![0u8; n];
    let mut order = Vec::new();
    for root in start.into_iter().chain(0..n) {
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

fn layout(machine: &Value) -> Scope {
    let empty = serde_json::Map::new();
    let states = machine
        .get("States")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let index: HashMap<&str, usize> = states
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (i, (name, state)) in states.iter().enumerate() {
        let kind = state.get("Type").and_then(Value::as_str).unwrap_or("?");
        let mut targets: Vec<(&str, EdgeKind)> = Vec::new();
        for key in ["Next", "Default"] {
            if let Some(n) = state.get(key).and_then(Value::as_str) {
                targets.push((n, EdgeKind::Next));
            }
        }
        for (list, kind) in [("Choices", EdgeKind::Next), ("Catch", EdgeKind::Catch)] {
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
            if let Some(&t) = index.get(to) {
                if !edges.contains(&(i, t, kind)) {
                    edges.push((i, t, kind));
                }
            }
        }
        let inner: Vec<&Value> = state
            .get("Branches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                ["ItemProcessor", "Iterator"]
                    .iter()
                    .filter_map(|k| state.get(*k)),
            )
            .collect();
        let mut branches = Vec::new();
        let (mut w, mut h) = (W, H);
        if !inner.is_empty() {
            let scopes: Vec<Scope> = inner.into_iter().map(layout).collect();
            let inner_w: i64 =
                scopes.iter().map(|s| s.w).sum::<i64>() + GAP_X * (scopes.len() as i64 - 1);
            let inner_h = scopes.iter().map(|s| s.h).max().unwrap_or(0);
            w = (inner_w + 2 * PAD).max(W);
            h = HEADER + inner_h + PAD;
            let mut x = (w - inner_w) / 2;
            for s in scopes {
                let sw = s.w;
                branches.push((x, HEADER, s));
                x += sw + GAP_X;
            }
        }
        nodes.push(Node {
            name: name.clone(),
            kind: kind.to_owned(),
            x: 0,
            y: 0,
            w,
            h,
            branches,
        });
    }
    let start = machine
        .get("StartAt")
        .and_then(Value::as_str)
        .and_then(|s| index.get(s).copied());
    let rank = ranks(nodes.len(), start, &edges);
    let mut rows: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, r) in rank.iter().enumerate() {
        rows.entry(*r).or_default().push(i);
    }
    let row_w = |nodes: &[Node], members: &[usize]| -> i64 {
        members.iter().map(|&i| nodes[i].w).sum::<i64>() + GAP_X * (members.len() as i64 - 1)
    };
    // room on the right for the lane the catches run down
    let lane_room = if edges.iter().any(|e| e.2 == EdgeKind::Catch) {
        LANE
    } else {
        0
    };
    let width = rows.values().map(|m| row_w(&nodes, m)).max().unwrap_or(W) + 2 * PAD + lane_room;
    let mut y = PAD;
    for members in rows.values() {
        let rw = row_w(&nodes, members);
        let mut x = (width - lane_room - rw) / 2;
        let row_h = members.iter().map(|&i| nodes[i].h).max().unwrap_or(H);
        for &i in members {
            nodes[i].x = x;
            nodes[i].y = y;
            x += nodes[i].w + GAP_X;
        }
        y += row_h + GAP_Y;
    }
    Scope {
        nodes,
        edges,
        w: width,
        h: y - GAP_Y + PAD,
    }
}

/// The colours of a status, also as presentation attributes so the SVG reads on its own.
fn colours(status: RunStatus) -> (&'static str, &'static str) {
    match status {
        RunStatus::Succeeded => ("#dff3e4", "#2e8b57"),
        RunStatus::Failed => ("#fbe0dd", "#c0392b"),
        RunStatus::Caught => ("#fdebd0", "#d35400"),
        RunStatus::Cancelled => ("#e6e6e6", "#555555"),
        RunStatus::Running => ("#e0ecfb", "#2c6fbb"),
        RunStatus::NotRun => ("#f7f7f8", "#a0a0a6"),
    }
}

fn draw(scope: &Scope, ox: i64, oy: i64, status: &BTreeMap<String, RunStatus>, svg: &mut String) {
    for &(a, b, kind) in &scope.edges {
        let (na, nb) = (&scope.nodes[a], &scope.nodes[b]);
        let style = match kind {
            EdgeKind::Next => "class=\"edge\" stroke=\"#555\"",
            EdgeKind::Catch => "class=\"edge catch\" stroke=\"#c0392b\" stroke-dasharray=\"5,4\"",
        };
        let (x1, y1) = (ox + na.x + na.w / 2, oy + na.y + na.h);
        let (x2, y2) = (ox + nb.x + nb.w / 2, oy + nb.y);
        if kind == EdgeKind::Catch && y2 > y1 {
            // catches leave from the right side and run down the scope's right edge, so they
            // do not cross the states (and containers) in between
            let lane = ox + scope.w - LANE / 2;
            let (xa, ya) = (ox + na.x + na.w, oy + na.y + na.h / 2);
            let xb = ox + nb.x + nb.w;
            let yb = oy + nb.y + nb.h / 2;
            svg.push_str(&format!(
                "<path d=\"M{xa},{ya} C{lane},{ya} {lane},{yb} {xb},{yb}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>"
            ));
        } else if y2 > y1 {
            let my = (y1 + y2) / 2;
            svg.push_str(&format!(
                "<path d=\"M{x1},{y1} C{x1},{my} {x2},{my} {x2},{y2}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>"
            ));
        } else {
            // a loop back up: around the right side
            let side = ox + (na.x + na.w).max(nb.x + nb.w) + GAP_X / 2;
            let (ya, yb) = (oy + na.y + na.h / 2, oy + nb.y + nb.h / 2);
            svg.push_str(&format!(
                "<path d=\"M{},{ya} C{side},{ya} {side},{yb} {},{yb}\" fill=\"none\" {style} marker-end=\"url(#arrow)\"/>",
                ox + na.x + na.w,
                ox + nb.x + nb.w
            ));
        }
    }
    for node in &scope.nodes {
        let s = status.get(&node.name).copied().unwrap_or(RunStatus::NotRun);
        let (fill, stroke) = colours(s);
        let (x, y) = (ox + node.x, oy + node.y);
        let container = !node.branches.is_empty();
        let name = esc(&node.name);
        svg.push_str(&format!(
            "<g class=\"state{} {}\" data-state=\"{name}\" data-status=\"{}\"><a href=\"#state-{name}\"><title>{name}: {} ({})</title>",
            if container { " container" } else { "" },
            s.class(),
            s.as_str(),
            esc(&node.kind),
            s.as_str(),
        ));
        if container {
            svg.push_str(&format!(
                "<rect class=\"frame\" x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"12\" fill=\"{fill}\" fill-opacity=\"0.35\" stroke=\"{stroke}\" stroke-width=\"1.5\" stroke-dasharray=\"6,3\"/>\
<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{name}</text><text x=\"{}\" y=\"{}\" fill=\"#666\" font-size=\"10\">{}</text></a>",
                node.w,
                node.h,
                x + 10,
                y + 17,
                x + 10,
                y + 31,
                esc(&node.kind)
            ));
            for (bx, by, branch) in &node.branches {
                svg.push_str(&format!(
                    "<rect class=\"branch\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"#ffffff\" fill-opacity=\"0.7\" stroke=\"#c8c8ce\"/>",
                    x + bx,
                    y + by,
                    branch.w,
                    branch.h
                ));
                draw(branch, x + bx, y + by, status, svg);
            }
        } else {
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{name}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#666\" font-size=\"10\">{}</text></a>",
                node.w,
                node.h,
                x + node.w / 2,
                y + 17,
                x + node.w / 2,
                y + 31,
                esc(&node.kind)
            ));
        }
        svg.push_str("</g>");
    }
}

/// An SVG of `definition`, each state coloured by `status` (absent: not run).
pub fn render_svg(definition: &Value, status: &BTreeMap<String, RunStatus>) -> String {
    let scope = layout(definition);
    if scope.nodes.is_empty() {
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"200\" height=\"40\"><text x=\"10\" y=\"25\">no states</text></svg>".into();
    }
    let (width, height) = (scope.w, scope.h);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#555\"/></marker></defs>"
    );
    draw(&scope, 0, 0, status, &mut svg);
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> Value {
        json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Task", "Resource": "x", "Next": "P", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}]},
                "P": {"Type": "Parallel", "Branches": [
                    {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "Next": "B3"}, "B3": {"Type": "Pass", "End": true}}}
                ], "Next": "L"},
                "L": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "A"}], "Default": "S"},
                "S": {"Type": "Succeed"},
                "F": {"Type": "Fail"}
            }
        })
    }

    #[test]
    fn draws_every_state_and_colours_runs() {
        let mut runs = BTreeMap::new();
        runs.insert("A".to_owned(), RunStatus::Succeeded);
        runs.insert("F".to_owned(), RunStatus::Failed);
        runs.insert("B1".to_owned(), RunStatus::Caught);
        let svg = render_svg(&def(), &runs);
        for name in ["A", "P", "B1", "B2", "B3", "L", "S", "F"] {
            assert!(
                svg.contains(&format!("data-state=\"{name}\"")),
                "{name} missing"
            );
            assert!(
                svg.contains(&format!("href=\"#state-{name}\"")),
                "{name} not a link"
            );
        }
        assert!(svg.contains("class=\"state succeeded\" data-state=\"A\""));
        assert!(svg.contains("class=\"state failed\" data-state=\"F\""));
        assert!(svg.contains("class=\"state caught\" data-state=\"B1\""));
        assert!(svg.contains("class=\"state not-run\" data-state=\"S\""));
    }

    #[test]
    fn a_parallel_is_a_container_around_its_branches() {
        let scope = layout(&def());
        let p = scope.nodes.iter().find(|n| n.name == "P").unwrap();
        assert_eq!(p.branches.len(), 2);
        for (bx, by, b) in &p.branches {
            // each branch lies inside the container
            assert!(*bx >= 0 && *by >= HEADER && bx + b.w <= p.w && by + b.h <= p.h);
        }
        // the second branch holds two states one above the other
        let b2 = &p.branches[1].2;
        assert!(b2.nodes[1].y > b2.nodes[0].y);
        let svg = render_svg(&def(), &BTreeMap::new());
        let container = svg
            .find("class=\"state container not-run\" data-state=\"P\"")
            .unwrap();
        let b1 = svg.find("data-state=\"B1\"").unwrap();
        let close = svg[container..].find("</g></g>").unwrap() + container;
        assert!(b1 > container && b1 < close, "B1 is drawn inside P's group");
    }
}
