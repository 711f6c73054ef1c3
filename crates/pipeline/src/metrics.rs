//! The hub's counters: uploads accepted, reels READY, reels FAILED by error name, and the
//! time from upload to READY or FAILED (from the UUIDv7 media id, which carries its upload
//! time). One process-wide set ([`global`]): `media-hub serve` shows it at `/metrics` in
//! Prometheus' text format; in a Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) each count is also
//! printed as a CloudWatch embedded-metric-format line, which CloudWatch Logs turns into the
//! `MediaHub` namespace's metrics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

/// The CloudWatch namespace of the embedded metrics.
pub const NAMESPACE: &str = "MediaHub";

/// Counters since the process started.
#[derive(Debug, Default)]
pub struct Metrics {
    uploads: AtomicU64,
    ready: AtomicU64,
    failed: Mutex<BTreeMap<String, u64>>,
    processing_ms_sum: AtomicU64,
    processing_count: AtomicU64,
}

/// The process's counters.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// How long ago the media id's upload began (a UUIDv7 carries its time).
pub fn since_upload(id: &str) -> Option<Duration> {
    let uuid = uuid::Uuid::parse_str(id).ok()?;
    let (secs, nanos) = uuid.get_timestamp()?.to_unix();
    let at = SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos))?;
    SystemTime::now().duration_since(at).ok()
}

fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
}

/// One embedded-metric-format line: the metrics with their units, under the dimensions.
pub fn emf_line(metrics: &[(&str, &str, f64)], dimensions: &[(&str, &str)]) -> String {
    let mut doc = json!({
        "_aws": {
            "Timestamp": SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics
                    .iter()
                    .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
                    .collect::<Vec<_>>(),
            }],
        },
    });
    if let Value::Object(map) = &mut doc {
        for (k, v) in dimensions {
            map.insert((*k).to_owned(), json!(v));
        }
        for (name, _, value) in metrics {
            map.insert((*name).to_owned(), json!(value));
        }
    }
    doc.to_string()
}

fn emit(metrics: &[(&str, &str, f64)], dimensions: &[(&str, &str)]) {
    if in_lambda() {
        // stdout: the Lambda runtime ships it to CloudWatch Logs as one line
        println!("{}", emf_line(metrics, dimensions));
    }
}

impl Metrics {
    /// An upload was accepted (its record written, its execution started).
    pub fn upload_accepted(&self) {
        self.uploads.fetch_add(1, Ordering::Relaxed);
        emit(&[("Uploads", "Count", 1.0)], &[]);
    }

    /// A reel turned READY, `took` after its upload.
    pub fn ready(&self, took: Option<Duration>) {
        self.ready.fetch_add(1, Ordering::Relaxed);
        let ms = self.processing(took);
        let mut metrics = vec![("Ready", "Count", 1.0)];
        if let Some(ms) = ms {
            metrics.push(("ProcessingTime", "Milliseconds", ms));
        }
        emit(&metrics, &[]);
    }

    /// A reel turned FAILED with `error`, `took` after its upload.
    pub fn failed(&self, error: &str, took: Option<Duration>) {
        if let Ok(mut failed) = self.failed.lock() {
            *failed.entry(error.to_owned()).or_default() += 1;
        }
        let ms = self.processing(took);
        emit(&[("Failed", "Count", 1.0)], &[("ErrorName", error)]);
        if let Some(ms) = ms {
            emit(&[("ProcessingTime", "Milliseconds", ms)], &[]);
        }
    }

    fn processing(&self, took: Option<Duration>) -> Option<f64> {
        let ms = took?.as_millis() as u64;
        self.processing_ms_sum.fetch_add(ms, Ordering::Relaxed);
        self.processing_count.fetch_add(1, Ordering::Relaxed);
        Some(ms as f64)
    }

    /// The counters in Prometheus' text exposition format.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, lines: Vec<(String, u64)>| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for (labels, v) in lines {
                out.push_str(&format!("{name}{labels} {v}\n"));
            }
        };
        counter(
            "media_hub_uploads_total",
            "Uploads accepted.",
            vec![(String::new(), self.uploads.load(Ordering::Relaxed))],
        );
        counter(
            "media_hub_ready_total",
            "Reels that turned READY.",
            vec![(String::new(), self.ready.load(Ordering::Relaxed))],
        );
        let failed: Vec<(String, u64)> = self
            .failed
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(e, n)| {
                        (
                            format!("{{error=\"{}\"}}", e.replace(['"', '\\', '\n'], "_")),
                            *n,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        counter(
            "media_hub_failed_total",
            "Reels that turned FAILED, by error name.",
            failed,
        );
        let sum = self.processing_ms_sum.load(Ordering::Relaxed) as f64 / 1000.0;
        let count = self.processing_count.load(Ordering::Relaxed);
        out.push_str(&format!(
            "# HELP media_hub_processing_seconds Time from upload to READY or FAILED.\n\
             # TYPE media_hub_processing_seconds summary\n\
             media_hub_processing_seconds_sum {sum}\n\
             media_hub_processing_seconds_count {count}\n"
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_as_prometheus_text() {
        let m = Metrics::default();
        m.upload_accepted();
        m.upload_accepted();
        m.ready(Some(Duration::from_millis(1500)));
        m.failed("CorruptMedia", Some(Duration::from_millis(500)));
        m.failed("CorruptMedia", None);
        let text = m.prometheus();
        assert!(text.contains("media_hub_uploads_total 2\n"), "{text}");
        assert!(text.contains("media_hub_ready_total 1\n"), "{text}");
        assert!(
            text.contains("media_hub_failed_total{error=\"CorruptMedia\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("media_hub_processing_seconds_sum 2\n"),
            "{text}"
        );
        assert!(
            text.contains("media_hub_processing_seconds_count 2\n"),
            "{text}"
        );
    }

    #[test]
    fn emf_lines_name_their_metrics_and_dimensions() {
        let line = emf_line(
            &[("Failed", "Count", 1.0)],
            &[("ErrorName", "CorruptMedia")],
        );
        let v: Value = serde_json::from_str(&line).unwrap();
        let cw = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(cw["Namespace"], json!(NAMESPACE));
        assert_eq!(cw["Dimensions"], json!([["ErrorName"]]));
        assert_eq!(cw["Metrics"], json!([{"Name": "Failed", "Unit": "Count"}]));
        assert_eq!(v["Failed"], json!(1.0));
        assert_eq!(v["ErrorName"], json!("CorruptMedia"));
        assert!(v["_aws"]["Timestamp"].as_u64().unwrap() > 0);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn uuid7_ids_carry_their_upload_time() {
        let id = uuid::Uuid::now_v7().to_string();
        assert!(since_upload(&id).unwrap() < Duration::from_secs(5));
        assert_eq!(since_upload("not-a-uuid"), None);
    }
}
