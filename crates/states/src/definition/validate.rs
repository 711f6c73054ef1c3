//! Static checks beyond field shapes: every state reachable from `StartAt`, and the
//! `Invalid State Machine Definition: '...'` text AWS returns for a list of errors.

use super::parse::Ctx;
use super::{Kind, Machine};

/// Flag states no transition leads to (AWS rejects them).
pub fn reachability(cx: &mut Ctx, m: &Machine, at: &str) {
    let n = m.states.len();
    let mut seen = vec![false; n];
    let mut stack = vec![m.start];
    while let Some(i) = stack.pop() {
        if i >= n || seen[i] {
            continue;
        }
        seen[i] = true;
        let s = &m.states[i];
        if let Some(nx) = s.next {
            stack.push(nx);
        }
        for c in &s.catch {
            stack.push(c.next);
        }
        if let Kind::Choice { choices, default } = &s.kind {
            stack.extend(choices.iter().map(|c| c.next));
            stack.extend(default.iter().copied());
        }
    }
    for (i, ok) in seen.iter().enumerate() {
        if !ok {
            let name = &m.states[i].name;
            cx.errors.push(format!(
                "MISSING_TRANSITION_TARGET: State \"{name}\" is not reachable. at {at}/States/{name}"
            ));
        }
    }
}

/// AWS's wording for a rejected definition.
pub fn message(errors: &[String]) -> String {
    let quoted: Vec<String> = errors.iter().map(|e| format!("'{e}'")).collect();
    format!("Invalid State Machine Definition: {}", quoted.join(", "))
}
