//! Development driver with the same arguments as `media-hub sfn`:
//! `sfn run FILE --input JSON`, `sfn validate FILE`, `sfn bench`.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = states_cli::runner::main_args(&args).await;
    std::process::exit(code);
}
