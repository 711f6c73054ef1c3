//! History recording: numbers events exactly as AWS does (ExecutionStarted is 1, each
//! event one more, across branches and iterations) and builds the details only when the
//! sink wants them, so long runs stay cheap and flat in memory.

use crate::clock::{rfc3339, Clock};
use crate::{HistoryEvent, HistorySink};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Recorder<'a> {
    sink: &'a dyn HistorySink,
    clock: &'a dyn Clock,
    counter: AtomicU64,
    detailed: bool,
    events: bool,
}

impl<'a> Recorder<'a> {
    pub fn new(sink: &'a dyn HistorySink, clock: &'a dyn Clock) -> Recorder<'a> {
        Self::continuing(sink, clock, 0)
    }

    /// A recorder whose first event is `last_id + 1` (a redrive continues the history).
    pub fn continuing(
        sink: &'a dyn HistorySink,
        clock: &'a dyn Clock,
        last_id: u64,
    ) -> Recorder<'a> {
        let events = sink.wants_events();
        Recorder {
            sink,
            clock,
            counter: AtomicU64::new(last_id),
            detailed: events && sink.wants_details(),
            events,
        }
    }

    /// Whether the sink takes events (else only ids are counted).
    pub fn detailed(&self) -> bool {
        self.detailed
    }

    /// Record one event; `prev` is this thread's last event id, updated to the new one.
    #[inline]
    pub fn emit(&self, prev: &mut u64, event_type: &str, details: impl FnOnce() -> Value) -> u64 {
        let id = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        if self.detailed {
            let ev = HistoryEvent {
                id,
                previous_event_id: *prev,
                timestamp: rfc3339(self.clock.now()),
                event_type: event_type.to_string(),
                details: details(),
            };
            self.sink.record(&ev);
        } else if self.events {
            self.sink.record(&HistoryEvent {
                id,
                previous_event_id: *prev,
                timestamp: String::new(),
                event_type: event_type.to_string(),
                details: Value::Null,
            });
        }
        *prev = id;
        id
    }

    pub fn last_id(&self) -> u64 {
        self.counter.load(Ordering::Relaxed)
    }
}

/// The `...EventDetails` key AWS uses for an event type (`TaskStateEntered` →
/// `stateEnteredEventDetails`).
pub fn details_key(event_type: &str) -> String {
    let base = if event_type.ends_with("StateEntered") {
        "stateEntered"
    } else if event_type.ends_with("StateExited") {
        "stateExited"
    } else {
        event_type
    };
    let mut s = String::new();
    let mut chars = base.chars();
    if let Some(c) = chars.next() {
        s.extend(c.to_lowercase());
    }
    s.extend(chars);
    s.push_str("EventDetails");
    s
}

/// An event as AWS's GetExecutionHistory prints it.
pub fn to_aws_json(ev: &HistoryEvent) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), Value::from(ev.id));
    m.insert("previousEventId".into(), Value::from(ev.previous_event_id));
    m.insert("timestamp".into(), Value::String(ev.timestamp.clone()));
    m.insert("type".into(), Value::String(ev.event_type.clone()));
    if !ev.details.is_null() {
        m.insert(details_key(&ev.event_type), ev.details.clone());
    }
    Value::Object(m)
}

/// A sink that keeps every event in memory.
#[derive(Default)]
pub struct MemoryHistory {
    pub events: std::sync::Mutex<Vec<HistoryEvent>>,
}

impl HistorySink for MemoryHistory {
    fn record(&self, event: &HistoryEvent) {
        if let Ok(mut v) = self.events.lock() {
            v.push(event.clone());
        }
    }
}

/// A sink that counts events by type and keeps nothing else (flat memory).
#[derive(Default)]
pub struct CountingHistory {
    pub count: AtomicU64,
}

impl HistorySink for CountingHistory {
    fn record(&self, _event: &HistoryEvent) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
    fn wants_details(&self) -> bool {
        false
    }
}
