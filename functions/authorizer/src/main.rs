//! The `authorizer` Lambda: wiring only. API Gateway's HTTP API calls it before every
//! route (payload 2.0, simple responses); `api::gate::Gate` decides from the route key and
//! the admin token in `MEDIA_HUB_ADMIN_TOKEN`, with `PUBLIC_UPLOADS` opening the upload
//! routes.

use std::sync::Arc;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    aws::lambda::init_tracing();
    let gate = Arc::new(api::gate::Gate::from_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let gate = gate.clone();
        async move { Ok::<Value, lambda_runtime::Error>(gate.authorize(&event.payload)) }
    }))
    .await
}
