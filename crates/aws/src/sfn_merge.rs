//! The executions of several state machines (the pipeline's and the Backfill's) listed as
//! one, newest first, under one cursor: what `SfnExecutionLog::list_page` answers when the
//! Backfill is configured. ListExecutions pages each machine newest first; this merges one
//! such page of each and says where each machine's listing resumes.
//!
//! - The cursor names, for each machine, the ListExecutions page to read again (its
//!   `nextToken`, none for the first page) and how many of its items were shown already, or
//!   that the machine has no more. It is base64url JSON, opaque to the console.
//! - A page ends early rather than guess the order: once one machine's page is used up
//!   while that machine has more, the next page goes on from there.
//! - Equal start dates keep the machines' order (the pipeline's first).
//! - A re-read first page (no token) moves down when executions start in between, so the
//!   next page may repeat a few rows; none are skipped.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use pipeline::{ExecutionSummary, StoreError};
use serde::{Deserialize, Serialize};

/// Where one machine's listing resumes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Resume {
    /// the ListExecutions token of the page to read; none: the first page
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// items of that page shown already
    #[serde(rename = "s", default)]
    pub skip: usize,
    /// this machine has no more executions
    #[serde(rename = "d", default)]
    pub done: bool,
}

/// One machine's ListExecutions page read from its [`Resume`] (its first `skip` items left
/// out), and that page's `nextToken`.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub items: Vec<ExecutionSummary>,
    pub next_token: Option<String>,
}

/// The cursor of the page after, or `None` when every machine is done.
pub(crate) fn encode(resume: &[Resume]) -> Option<String> {
    if resume.iter().all(|r| r.done) {
        return None;
    }
    serde_json::to_vec(resume)
        .ok()
        .map(|json| URL_SAFE_NO_PAD.encode(json))
}

/// Where each of `machines` resumes: the start without a cursor.
pub(crate) fn decode(cursor: Option<&str>, machines: usize) -> Result<Vec<Resume>, StoreError> {
    let Some(cursor) = cursor else {
        return Ok(vec![Resume::default(); machines]);
    };
    let invalid = || StoreError::Invalid(format!("not a cursor of this listing: {cursor:?}"));
    let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let resume: Vec<Resume> = serde_json::from_slice(&json).map_err(|_| invalid())?;
    if resume.len() != machines {
        return Err(invalid());
    }
    Ok(resume)
}

/// Up to `limit` executions of the `pages` (one per machine, `None` for a machine that is
/// done), newest first, and where each machine resumes after them.
pub(crate) fn merge(
    from: &[Resume],
    pages: &[Option<Fetched>],
    limit: usize,
) -> (Vec<ExecutionSummary>, Vec<Resume>) {
    let mut used = vec![0usize; pages.len()];
    let mut out = Vec::new();
    while out.len() < limit {
        let mut newest: Option<(usize, &ExecutionSummary)> = None;
        let mut blocked = false;
        for (i, page) in pages.iter().enumerate() {
            let Some(page) = page else { continue };
            match page.items.get(used[i]) {
                Some(item) => {
                    if newest.is_none_or(|(_, best)| item.start_date > best.start_date) {
                        newest = Some((i, item));
                    }
                }
                // this machine has more, maybe newer than any row left here
                None => blocked |= page.next_token.is_some(),
            }
        }
        let Some((i, item)) = newest.filter(|_| !blocked) else {
            break;
        };
        out.push(item.clone());
        used[i] += 1;
    }
    let resume = from
        .iter()
        .zip(pages)
        .zip(&used)
        .map(|((from, page), &used)| match page {
            None => from.clone(),
            Some(page) if used < page.items.len() => Resume {
                token: from.token.clone(),
                skip: from.skip + used,
                done: false,
            },
            Some(page) => Resume {
                done: page.next_token.is_none(),
                token: page.next_token.clone(),
                skip: 0,
            },
        })
        .collect();
    (out, resume)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, second: u32) -> ExecutionSummary {
        ExecutionSummary {
            name: name.into(),
            execution_arn: format!("arn:{name}"),
            status: "RUNNING".into(),
            start_date: format!("2026-01-01T00:00:{second:02}.000Z"),
            ..Default::default()
        }
    }

    fn names(list: &[ExecutionSummary]) -> Vec<&str> {
        list.iter().map(|e| e.name.as_str()).collect()
    }

    /// Machine `i` as ListExecutions pages it, `per` items a page: the page at `resume`.
    fn fetch(all: &[ExecutionSummary], resume: &Resume, per: usize) -> Option<Fetched> {
        if resume.done {
            return None;
        }
        let at: usize = resume.token.as_deref().map_or(0, |t| t.parse().unwrap());
        let end = (at + per).min(all.len());
        Some(Fetched {
            items: all[at..end].iter().skip(resume.skip).cloned().collect(),
            next_token: (end < all.len()).then(|| end.to_string()),
        })
    }

    /// Every page through cursors, as the console walks them.
    fn walk(machines: &[Vec<ExecutionSummary>], per: usize, limit: usize) -> Vec<Vec<String>> {
        let mut cursor: Option<String> = None;
        let mut pages = Vec::new();
        loop {
            let from = decode(cursor.as_deref(), machines.len()).unwrap();
            let fetched: Vec<_> = machines
                .iter()
                .zip(&from)
                .map(|(all, r)| fetch(all, r, per))
                .collect();
            let (rows, resume) = merge(&from, &fetched, limit);
            pages.push(names(&rows).iter().map(|s| s.to_string()).collect());
            cursor = encode(&resume);
            if cursor.is_none() {
                return pages;
            }
            assert!(pages.len() < 100, "no progress: {pages:?}");
        }
    }

    #[test]
    fn two_machines_merge_newest_first_across_pages() {
        let pipeline = vec![run("p5", 50), run("p3", 30), run("p2", 20), run("p0", 1)];
        let backfill = vec![run("b4", 40), run("b1", 10)];
        let machines = [pipeline, backfill];
        let every = ["p5", "b4", "p3", "p2", "b1", "p0"];
        // one page holds them all
        let one = walk(&machines, 1000, 100);
        assert_eq!(one, [every.to_vec()]);
        // small pages, small machine pages: each row exactly once, in order
        for (per, limit) in [(1, 1), (1, 2), (2, 2), (2, 3), (3, 2), (1000, 2), (2, 1000)] {
            let pages = walk(&machines, per, limit);
            let flat: Vec<String> = pages.concat();
            assert_eq!(flat, every, "per {per}, limit {limit}: {pages:?}");
            assert!(pages.iter().all(|p| p.len() <= limit));
        }
    }

    #[test]
    fn a_machine_with_no_runs_and_ties_and_bad_cursors() {
        let machines = [vec![run("p1", 10), run("p0", 5)], vec![]];
        assert_eq!(walk(&machines, 1, 2).concat(), ["p1", "p0"]);
        // equal start dates: the pipeline's first
        let tied = [vec![run("p", 7)], vec![run("b", 7)]];
        assert_eq!(walk(&tied, 1000, 10), [vec!["p", "b"]]);
        // nothing at all: one empty page, no cursor
        assert_eq!(walk(&[vec![], vec![]], 10, 10), [Vec::<String>::new()]);
        for bad in ["%%%", "bm90IGpzb24", &URL_SAFE_NO_PAD.encode("[{}]")] {
            assert!(
                matches!(decode(Some(bad), 2), Err(StoreError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
