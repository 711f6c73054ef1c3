//! Parse arbitrary bytes as a definition; when valid, run it briefly on a small input.
//! Neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(def) = states::Definition::parse(text) else {
        return;
    };
    let _ = def.task_resources();
    // run with a fake clock (Wait/Retry are instant) and a step budget via a timeout
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build();
    let Ok(rt) = rt else { return };
    rt.block_on(async {
        let clock = states::FakeClock::new(chrono_now());
        let tasks = NoTasks;
        let options = states::ExecutionOptions::default();
        let run = states::execute_with_clock(
            &def,
            serde_json::json!({"a": [1, 2, {"b": "c"}], "n": 3}),
            &options,
            &tasks,
            &states::NoHistory,
            &clock,
        );
        let _ = tokio::time::timeout(std::time::Duration::from_millis(200), run).await;
    });
});

fn chrono_now() -> states::clock::Timestamp {
    states::clock::epoch()
}

/// No task is served: each fails as AWS does for a resource it does not recognise.
struct NoTasks;

#[async_trait::async_trait]
impl states::TaskInvoker for NoTasks {
    async fn invoke(
        &self,
        req: states::TaskRequest,
    ) -> Result<serde_json::Value, states::TaskFailure> {
        Err(states::TaskFailure {
            error: "States.Runtime".into(),
            cause: states::definition::resource::not_recognized(&req.resource),
        })
    }
}
