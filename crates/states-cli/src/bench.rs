//! Engine benchmark (`media-hub sfn bench`): a Pass/Choice counting loop (transitions per
//! second, resident memory before/after), a Map over many items, a wide Parallel.

use async_trait::async_trait;
use serde_json::{json, Value};
use states::{
    execute, Definition, ExecutionOptions, ExecutionStatus, NoHistory, TaskFailure, TaskInvoker,
    TaskRequest,
};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// loop iterations (each is 2 state transitions: Choice + Pass)
    pub loop_iterations: u64,
    pub map_items: usize,
    pub parallel_branches: usize,
    /// items of the manifest a distributed Map reads (batched 100 to a child)
    pub distributed_items: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            loop_iterations: 1_000_000,
            map_items: 10_000,
            parallel_branches: 100,
            distributed_items: 100_000,
        }
    }
}

struct NoTasks;

#[async_trait]
impl TaskInvoker for NoTasks {
    async fn invoke(&self, req: TaskRequest) -> Result<Value, TaskFailure> {
        Err(crate::runner::unknown_resource(&req))
    }
}

/// Resident set size in KiB (Linux), 0 elsewhere.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|x| x.parse::<u64>().ok())
        })
        .map(|pages| pages * 4)
        .unwrap_or(0)
}

/// CPU seconds used by this process so far (Linux `/proc/self/stat`, 0 elsewhere): the
/// benchmark reports throughput per CPU second too, which a busy machine does not skew.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // fields after the parenthesised command name; utime and stime are the 12th and 13th
    let Some(rest) = stat.rsplit(')').next() else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The Pass/Choice loop definition: counts `$.i` up to `$.n`.
pub fn loop_definition() -> Value {
    json!({
        "StartAt": "Loop",
        "States": {
            "Loop": {"Type": "Choice", "Choices": [
                {"Variable": "$.i", "NumericGreaterThanEquals": 0, "Next": "Check"}
            ], "Default": "Done"},
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Inc"}
            ], "Default": "Done"},
            "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}, "Next": "Check"},
            "Done": {"Type": "Succeed"}
        }
    })
}

/// A definition of `n` states (Pass and Choice alternating) walked `rounds` times.
pub fn large_definition(n: usize) -> Value {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let next = if i + 1 == n {
            "Round".to_string()
        } else {
            format!("S{}", i + 1)
        };
        let st = if i % 2 == 0 {
            json!({"Type": "Pass", "Next": next})
        } else {
            json!({"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": next}], "Default": "Done"})
        };
        states.insert(format!("S{i}"), st);
    }
    states.insert(
        "Round".into(),
        json!({"Type": "Pass", "Parameters": {"go": true, "round.$": "States.MathAdd($.round, 1)", "rounds.$": "$.rounds"}, "Next": "Check"}),
    );
    states.insert(
        "Check".into(),
        json!({"Type": "Choice", "Choices": [{"Variable": "$.round", "NumericLessThanPath": "$.rounds", "Next": "S0"}], "Default": "Done"}),
    );
    states.insert("Done".into(), json!({"Type": "Succeed"}));
    json!({"StartAt": "S0", "States": states})
}

async fn run_one(def: &Value, input: Value) -> (f64, ExecutionStatus, Option<Value>) {
    run_with(def, input, &NoHistory).await
}

async fn run_with(
    def: &Value,
    input: Value,
    sink: &dyn states::HistorySink,
) -> (f64, ExecutionStatus, Option<Value>) {
    let d = match Definition::from_value(def.clone()) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!("bench definition invalid: {e}");
            return (0.0, ExecutionStatus::Failed, None);
        }
    };
    let t = Instant::now();
    let o = execute(&d, input, &ExecutionOptions::default(), &NoTasks, sink).await;
    (t.elapsed().as_secs_f64(), o.status, o.output)
}

/// Run the three benchmarks and report figures as JSON.
pub async fn run_all(opts: BenchOptions) -> Value {
    let rss0 = rss_kib();
    // warm-up and memory baseline with a small loop
    let def = loop_definition();
    let _ = run_one(&def, json!({"i": 0, "n": 10_000})).await;
    let rss_small = rss_kib();
    let n = opts.loop_iterations;
    let cpu0 = cpu_seconds();
    let (secs, status, _) = run_one(&def, json!({"i": 0, "n": n})).await;
    let cpu = cpu_seconds() - cpu0;
    let rss_big = rss_kib();
    let counting = states::history::CountingHistory::default();
    let (hsecs, _, _) = run_with(&def, json!({"i": 0, "n": n}), &counting).await;
    let events = counting.count.load(std::sync::atomic::Ordering::Relaxed);
    let rss_hist = rss_kib();
    // transitions: Loop once, then (Check + Inc) per iteration, final Check, Done
    let transitions = 2 * n + 3;
    // a definition with 100,000 states, walked 10 times
    let big = large_definition(100_000);
    let t = Instant::now();
    let big_text = big.to_string();
    let parsed = Definition::parse(&big_text);
    let parse_secs = t.elapsed().as_secs_f64();
    let rounds = 10u64;
    let (big_secs, big_status) = match parsed {
        Ok(d) => {
            let t = Instant::now();
            let o = execute(
                &d,
                json!({"go": true, "round": 0, "rounds": rounds}),
                &ExecutionOptions::default(),
                &NoTasks,
                &NoHistory,
            )
            .await;
            (t.elapsed().as_secs_f64(), o.status)
        }
        Err(e) => {
            tracing::error!("large definition invalid: {e}");
            (0.0, ExecutionStatus::Failed)
        }
    };
    let big_transitions = rounds * (100_000 + 2) + 1;
    let map_def = json!({
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
            "ItemSelector": {"v.$": "$$.Map.Item.Value.v", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Parameters": {"v.$": "$.v", "sq.$": "States.MathAdd($.v, $.v)"}, "End": true}}},
            "End": true}}
    });
    let items: Vec<Value> = (0..opts.map_items).map(|i| json!({"v": i})).collect();
    let (map_secs, map_status, _) = run_one(&map_def, json!({"items": items})).await;
    let branches: Vec<Value> = (0..opts.parallel_branches)
        .map(|i| json!({"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": {"branch": i}, "End": true}}}))
        .collect();
    let par_def = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": branches, "End": true}}});
    let (par_secs, par_status, _) = run_one(&par_def, json!({})).await;
    let dist = distributed_map(opts.distributed_items).await;
    json!({
        "distributed_map": dist,
        "pass_choice_loop": {
            "iterations": n,
            "transitions": transitions,
            "seconds": secs,
            "transitions_per_second": (transitions as f64 / secs.max(1e-9)).round(),
            "cpu_seconds": cpu,
            "transitions_per_cpu_second": (transitions as f64 / cpu.max(1e-9)).round(),
            "status": status,
            "rss_kib_start": rss0,
            "rss_kib_after_10k_iterations": rss_small,
            "rss_kib_after_full_loop": rss_big,
        },
        "pass_choice_loop_streaming_history": {
            "events_streamed": events,
            "seconds": hsecs,
            "transitions_per_second": (transitions as f64 / hsecs.max(1e-9)).round(),
            "rss_kib_after": rss_hist,
        },
        "large_definition": {
            "states": 100_003,
            "parse_seconds": parse_secs,
            "rounds": rounds,
            "transitions": big_transitions,
            "seconds": big_secs,
            "transitions_per_second": (big_transitions as f64 / big_secs.max(1e-9)).round(),
            "status": big_status,
        },
        "map": {
            "items": opts.map_items,
            "seconds": map_secs,
            "items_per_second": (opts.map_items as f64 / map_secs.max(1e-9)).round(),
            "status": map_status,
        },
        "parallel": {
            "branches": opts.parallel_branches,
            "seconds": par_secs,
            "status": par_status,
        }
    })
}

/// A distributed Map over a JSON manifest of `n` items in an in-memory bucket: ItemReader,
/// ItemBatcher (100 items a child execution), ResultWriter; timed from start to the
/// manifest written.
pub async fn distributed_map(n: usize) -> Value {
    let objects = std::sync::Arc::new(states::storage::MemoryObjects::new());
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"id": format!("reel-{i:06}"), "key": format!("raw/reel-{i:06}/original.jpg")}))
        .collect();
    objects.insert("bench", "manifest.json", Value::Array(items).to_string());
    let def = json!({
        "StartAt": "Backfill",
        "States": {"Backfill": {"Type": "Map",
            "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "bench", "Key": "manifest.json"}},
            "ItemBatcher": {"MaxItemsPerBatch": 100},
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Count", "States": {"Count": {"Type": "Pass",
                    "Parameters": {"count.$": "States.ArrayLength($.Items)"}, "End": true}}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": "bench", "Prefix": "results"}},
            "End": true}}
    });
    let d = match Definition::from_value(def) {
        Ok(d) => d,
        Err(e) => return json!({"error": e.to_string()}),
    };
    let services = states::Services {
        objects: Some(objects.clone()),
        ..Default::default()
    };
    let t = Instant::now();
    let o = states::execute_with(
        &d,
        json!({}),
        &ExecutionOptions::default(),
        &NoTasks,
        &NoHistory,
        &states::SystemClock,
        &services,
    )
    .await;
    let secs = t.elapsed().as_secs_f64();
    let written: usize = objects
        .keys("bench", "results/")
        .iter()
        .filter_map(|k| objects.get("bench", k))
        .map(|b| b.len())
        .sum();
    json!({
        "items": n,
        "items_per_batch": 100,
        "seconds": secs,
        "status": o.status,
        "result": o.output,
        "result_bytes_written": written,
    })
}
