//! The distributed Map: ItemReader (listing, JSON, JSONL, CSV), ItemBatcher, tolerated
//! failures counted per item, ResultWriter's files, and the Map Run events.

use async_trait::async_trait;
use serde_json::{json, Value};
use states::history::MemoryHistory;
use states::storage::MemoryObjects;
use states::{
    execute_with, Definition, ExecutionOptions, ExecutionStatus, Services, SystemClock,
    TaskFailure, TaskInvoker, TaskRequest,
};
use std::sync::Arc;

struct NoTasks;

#[async_trait]
impl TaskInvoker for NoTasks {
    async fn invoke(&self, req: TaskRequest) -> Result<Value, TaskFailure> {
        Err(TaskFailure {
            error: "States.Runtime".into(),
            cause: req.resource,
        })
    }
}

/// A distributed Map whose children fail for an item with `"bad": true`.
fn map_definition(reader: Value, extra: Value) -> Definition {
    let mut map = json!({
        "Type": "Map",
        "ItemReader": reader,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Check",
            "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$.bad", "IsPresent": true, "Next": "Broken"}
                ], "Default": "Ok"},
                "Broken": {"Type": "Fail", "Error": "CorruptMedia", "Cause": "bad item"},
                "Ok": {"Type": "Pass", "End": true}
            }
        },
        "End": true
    });
    if let (Some(m), Value::Object(e)) = (map.as_object_mut(), extra) {
        m.extend(e);
    }
    Definition::from_value(json!({"StartAt": "Backfill", "States": {"Backfill": map}}))
        .expect("valid definition")
}

async fn run(
    def: &Definition,
    objects: Option<Arc<MemoryObjects>>,
) -> (states::ExecutionOutcome, Vec<String>) {
    let services = Services {
        objects: objects.map(|o| o as Arc<dyn states::storage::ObjectStore>),
        ..Default::default()
    };
    let history = MemoryHistory::default();
    let o = execute_with(
        def,
        json!({}),
        &ExecutionOptions::default(),
        &NoTasks,
        &history,
        &SystemClock,
        &services,
    )
    .await;
    let types = history
        .events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    (o, types)
}

fn get_json(objects: &MemoryObjects, key: &str) -> Value {
    serde_json::from_slice(
        &objects
            .get("b", key)
            .unwrap_or_else(|| panic!("{key} written")),
    )
    .unwrap()
}

#[tokio::test]
async fn json_manifest_batches_tolerates_and_writes_results() {
    let objects = Arc::new(MemoryObjects::new());
    let mut items: Vec<Value> = (0..30).map(|i| json!({"id": i})).collect();
    items[7] = json!({"id": 7, "bad": true});
    objects.insert("b", "manifest.json", Value::Array(items).to_string());
    let def = map_definition(
        json!({"Resource": "arn:aws:states:::s3:getObject",
               "ReaderConfig": {"InputType": "JSON"},
               "Parameters": {"Bucket": "b", "Key": "manifest.json"}}),
        json!({
            "ItemSelector": {"item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ToleratedFailurePercentage": 10,
            "MaxConcurrency": 4,
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                             "Parameters": {"Bucket": "b", "Prefix": "backfill/"}}
        }),
    );
    let def = {
        // the children look at the selected item
        let mut v = def.source().clone();
        v["States"]["Backfill"]["ItemProcessor"]["States"]["Check"]["Choices"][0]["Variable"] =
            json!("$.item.bad");
        Definition::from_value(v).unwrap()
    };
    let (o, types) = run(&def, Some(objects.clone())).await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{o:?}");
    let out = o.output.unwrap();
    let manifest_key = out["ResultWriterDetails"]["Key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(manifest_key.starts_with("backfill/") && manifest_key.ends_with("/manifest.json"));
    assert!(out["MapRunArn"].as_str().unwrap().contains(":mapRun:"));
    let manifest = get_json(&objects, &manifest_key);
    let ok_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
        .as_str()
        .unwrap();
    let failed_key = manifest["ResultFiles"]["FAILED"][0]["Key"]
        .as_str()
        .unwrap();
    let ok = get_json(&objects, ok_key);
    let failed = get_json(&objects, failed_key);
    assert_eq!(ok.as_array().unwrap().len(), 29);
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["Error"], json!("CorruptMedia"));
    assert_eq!(failed[0]["Status"], json!("FAILED"));
    let input: Value = serde_json::from_str(failed[0]["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input["item"]["id"], json!(7));
    // every item is listed once across the result files
    let mut ids: Vec<i64> = ok
        .as_array()
        .unwrap()
        .iter()
        .chain(failed.as_array().unwrap())
        .map(|r| {
            let i: Value = serde_json::from_str(r["Input"].as_str().unwrap()).unwrap();
            i["item"]["id"].as_i64().unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, (0..30).collect::<Vec<_>>());
    // the Map Run's events in the parent history, no iteration events
    let at = |t: &str| {
        types
            .iter()
            .position(|x| x == t)
            .unwrap_or_else(|| panic!("{t}: {types:?}"))
    };
    assert!(at("MapStateStarted") < at("MapRunStarted"));
    assert!(at("MapRunStarted") < at("MapRunSucceeded"));
    assert!(at("MapRunSucceeded") < at("MapStateSucceeded"));
    assert!(!types.iter().any(|t| t.starts_with("MapIteration")));
}

#[tokio::test]
async fn failures_past_the_tolerance_fail_the_map_run() {
    let objects = Arc::new(MemoryObjects::new());
    let items: Vec<Value> = (0..10)
        .map(|i| {
            if i < 3 {
                json!({"bad": true})
            } else {
                json!({"id": i})
            }
        })
        .collect();
    objects.insert("b", "items.json", Value::Array(items).to_string());
    let reader = json!({"Resource": "arn:aws:states:::s3:getObject",
        "Parameters": {"Bucket": "b", "Key": "items.json"}});
    let def = map_definition(
        reader.clone(),
        json!({"ToleratedFailurePercentage": 20, "MaxConcurrency": 1}),
    );
    let (o, types) = run(&def, Some(objects.clone())).await;
    assert_eq!(
        o.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    assert!(types.contains(&"MapRunFailed".to_string()));
    // with batches, a failed batch counts every item in it
    let def = map_definition(
        reader,
        json!({"ToleratedFailureCount": 4, "ItemBatcher": {"MaxItemsPerBatch": 5},
               "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                   "StartAt": "Check", "States": {
                   "Check": {"Type": "Choice", "Choices": [
                       {"Variable": "$.Items[0].bad", "IsPresent": true, "Next": "Broken"}], "Default": "Ok"},
                   "Broken": {"Type": "Fail", "Error": "CorruptMedia"},
                   "Ok": {"Type": "Pass", "End": true}}}}),
    );
    let (o, _) = run(&def, Some(objects)).await;
    assert_eq!(
        o.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[tokio::test]
async fn listing_jsonl_and_csv_readers() {
    let objects = Arc::new(MemoryObjects::new());
    objects.insert("b", "raw/a/original.jpg", vec![1u8, 2, 3]);
    objects.insert("b", "raw/b/original.png", vec![1u8]);
    objects.insert("b", "other/x", vec![0u8]);
    objects.insert("b", "list.jsonl", "{\"id\": 1}\n\n{\"id\": 2}\n");
    objects.insert("b", "list.csv", "id,caption\n1,\"a, b\"\n2,c\n");
    let def = map_definition(
        json!({"Resource": "arn:aws:states:::s3:listObjectsV2",
               "Parameters": {"Bucket": "b", "Prefix": "raw/"}}),
        json!({}),
    );
    let (o, _) = run(&def, Some(objects.clone())).await;
    let out = o.output.expect("listing succeeded");
    let keys: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["raw/a/original.jpg", "raw/b/original.png"]);
    assert_eq!(out[0]["Size"], json!(3));
    let def = map_definition(
        json!({"Resource": "arn:aws:states:::s3:getObject",
               "ReaderConfig": {"InputType": "JSONL"},
               "Parameters": {"Bucket": "b", "Key": "list.jsonl"}}),
        json!({}),
    );
    let (o, _) = run(&def, Some(objects.clone())).await;
    assert_eq!(o.output, Some(json!([{"id": 1}, {"id": 2}])));
    let def = map_definition(
        json!({"Resource": "arn:aws:states:::s3:getObject",
               "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 1},
               "Parameters": {"Bucket": "b", "Key": "list.csv"}}),
        json!({}),
    );
    let (o, _) = run(&def, Some(objects)).await;
    assert_eq!(o.output, Some(json!([{"id": "1", "caption": "a, b"}])));
}

#[tokio::test]
async fn a_reader_without_a_store_or_object_fails_with_item_reader_failed() {
    let def = map_definition(
        json!({"Resource": "arn:aws:states:::s3:getObject",
               "Parameters": {"Bucket": "b", "Key": "missing.json"}}),
        json!({}),
    );
    let (o, _) = run(&def, None).await;
    assert_eq!(o.error.as_deref(), Some("States.ItemReaderFailed"));
    let (o, _) = run(&def, Some(Arc::new(MemoryObjects::new()))).await;
    assert_eq!(o.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(o.cause.unwrap().contains("NoSuchKey"));
}

#[test]
fn distributed_fields_are_checked_never_ignored() {
    let inline_reader = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
    let e = Definition::from_value(inline_reader).unwrap_err();
    assert!(e.message.contains("DISTRIBUTED"), "{e}");
    for (field, value) in [
        (
            "ItemReader",
            json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}, "ReaderConfig": {"Bogus": 1}}),
        ),
        (
            "ItemReader",
            json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "PARQUET"}}),
        ),
        (
            "ItemReader",
            json!({"Resource": "arn:aws:states:::dynamodb:scan"}),
        ),
        (
            "ResultWriter",
            json!({"Resource": "arn:aws:states:::s3:putObject", "WriterConfig": {}}),
        ),
        ("ItemBatcher", json!({"BatchInput": {}})),
    ] {
        let d = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            field: value,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
                "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}});
        assert!(
            Definition::from_value(d).is_err(),
            "{field} {value} accepted"
        );
    }
}
