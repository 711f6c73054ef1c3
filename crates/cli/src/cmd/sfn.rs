//! `media-hub sfn`: run, validate or benchmark any Amazon States Language definition with
//! the built-in interpreter. Thin wiring over `states_cli::runner` and `states_cli::bench`.

use clap::Subcommand;
use states_cli::runner::{self, RunOptions};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SfnCommand,
}

#[derive(Subcommand)]
enum SfnCommand {
    /// Run a definition; prints {"status":"SUCCEEDED","output":..} or
    /// {"status":"FAILED","error":..,"cause":..} (exit 0 / 1; 2 when it cannot start).
    Run(RunArgs),
    /// Validate a definition statically (AWS's error texts); exit 0 when valid, 1 when not.
    Validate {
        /// the definition (JSON)
        definition: String,
    },
    /// Benchmark the engine: a Pass/Choice loop, a Map over many items, a wide Parallel.
    Bench {
        /// loop iterations (two state transitions each)
        #[arg(long, default_value_t = 1_000_000)]
        iterations: u64,
        #[arg(long, default_value_t = 10_000)]
        map_items: usize,
        #[arg(long, default_value_t = 100)]
        branches: usize,
        /// manifest items of the distributed Map (ItemReader, ItemBatcher 100, ResultWriter)
        #[arg(long, default_value_t = 100_000)]
        distributed_items: usize,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// the definition (JSON)
    definition: String,
    /// execution input (JSON text)
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// execution input from a file
    #[arg(long)]
    input_file: Option<String>,
    /// execution name ($$.Execution.Name)
    #[arg(long)]
    name: Option<String>,
    /// print the execution's history events (one JSON object a line) before the result
    #[arg(long)]
    history: bool,
    /// stub a task: NAME=CMD, where NAME is a state name or a Resource; CMD gets the task
    /// input on stdin and prints its result (non-zero exit: failure)
    #[arg(long = "task", value_name = "NAME=CMD")]
    tasks: Vec<String>,
    /// a Step Functions Local mock config file (StateMachines / MockedResponses)
    #[arg(long)]
    mock_config: Option<String>,
    /// the test case of the mock config to use (default: the first)
    #[arg(long)]
    test_case: Option<String>,
    /// the state machine name in the mock config (default: the first)
    #[arg(long)]
    state_machine: Option<String>,
    /// a folder per S3 bucket (DIR/BUCKET/KEY) for a distributed Map's ItemReader and
    /// ResultWriter
    #[arg(long, value_name = "DIR")]
    objects: Option<std::path::PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<i32> {
    match args.command {
        SfnCommand::Run(a) => {
            let mut opts = RunOptions {
                name: a.name,
                history: a.history,
                test_case: a.test_case,
                state_machine_name: a.state_machine,
                objects_dir: a.objects,
                ..Default::default()
            };
            for t in a.tasks {
                let (n, c) = t
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--task takes NAME=CMD, got {t}"))?;
                opts.tasks.push((n.to_string(), c.to_string()));
            }
            if let Some(f) = a.mock_config {
                let text = std::fs::read_to_string(&f)
                    .map_err(|e| anyhow::anyhow!("cannot read {f}: {e}"))?;
                opts.mock_config = Some(serde_json::from_str(&text)?);
            }
            Ok(runner::run_file(
                &a.definition,
                a.input.as_deref(),
                a.input_file.as_deref(),
                &opts,
            )
            .await)
        }
        SfnCommand::Validate { definition } => {
            let text = std::fs::read_to_string(&definition)
                .map_err(|e| anyhow::anyhow!("cannot read {definition}: {e}"))?;
            match runner::validate_text(&text) {
                Ok(()) => {
                    println!("{}", serde_json::json!({"valid": true}));
                    Ok(0)
                }
                Err(e) => {
                    println!(
                        "{}",
                        serde_json::json!({"valid": false, "error": e.message})
                    );
                    Ok(1)
                }
            }
        }
        SfnCommand::Bench {
            iterations,
            map_items,
            branches,
            distributed_items,
        } => {
            let report = states_cli::bench::run_all(states_cli::bench::BenchOptions {
                loop_iterations: iterations,
                map_items,
                parallel_branches: branches,
                distributed_items,
            })
            .await;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(0)
        }
    }
}
