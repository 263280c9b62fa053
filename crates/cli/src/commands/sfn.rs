//! `responder sfn validate|run`: the local Step Functions engine on any
//! definition, with mocked tasks in the Step Functions Local format.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use responder_sfn::{
    Clock, Definition, Engine, Execution, ManualClock, MockCase, Persistence, Registry, Status,
    Store, SystemClock,
};
use serde_json::{Value, json};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check a definition as Step Functions would at create time.
    ///
    /// Prints the number of states and exits 0, or prints
    /// `InvalidDefinition: state 'NAME': ...` on stderr and exits 2.
    Validate {
        /// The Amazon States Language file (JSON).
        definition: PathBuf,
    },
    /// Run a definition once and print the execution as one JSON object:
    /// `{"status", "output", "error", "cause", "transitions", "history"}`.
    ///
    /// Tasks are answered by the mocked responses of `--mock-config`; a task
    /// without one fails with `States.Runtime`. Exit 0 when the execution
    /// succeeded, 1 when it ended otherwise, 2 for an invalid definition,
    /// input or mock file.
    Run(RunArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The Amazon States Language file (JSON).
    definition: PathBuf,

    /// The execution input: a JSON file, or `-` for standard input. Default `{}`.
    #[arg(long, value_name = "FILE|-")]
    input: Option<PathBuf>,

    /// A Step Functions Local `MockConfigFile.json`.
    #[arg(long, value_name = "FILE", requires = "test_case")]
    mock_config: Option<PathBuf>,

    /// The test case of the mock file to use.
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    test_case: Option<String>,

    /// The state machine of the mock file (needed when it lists several);
    /// also names the state machine in ARNs. Default: the file's name.
    #[arg(long, value_name = "NAME")]
    state_machine: Option<String>,

    /// The execution name. Default: a random UUID.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,

    /// Waits, retry delays and timeouts take no time: the clock jumps.
    #[arg(long)]
    virtual_time: bool,
}

pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Validate { definition } => validate(&definition),
        Command::Run(args) => match execute(&args) {
            Ok(code) => code,
            Err(line) => {
                eprintln!("{line}");
                ExitCode::from(2)
            }
        },
    }
}

fn load(path: &Path) -> Result<Definition, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("ReadError: cannot read {}: {e}", path.display()))?;
    Definition::load(&text, &HashMap::new()).map_err(|e| format!("InvalidDefinition: {e}"))
}

fn validate(path: &Path) -> ExitCode {
    match load(path) {
        Ok(definition) => print(&format!(
            "{}: valid, {} states",
            path.display(),
            definition.state_count()
        )),
        Err(line) => {
            eprintln!("{line}");
            ExitCode::from(2)
        }
    }
}

fn execute(args: &RunArgs) -> Result<ExitCode, String> {
    let definition = Arc::new(load(&args.definition)?);
    let input = read_input(args.input.as_deref())?;
    let machine = args.state_machine.clone().unwrap_or_else(|| {
        let stem = args
            .definition
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("StateMachine");
        stem.split('.').next().unwrap_or(stem).to_owned()
    });
    let clock: Arc<dyn Clock> = if args.virtual_time {
        Arc::new(ManualClock::new(SystemClock.now()))
    } else {
        Arc::new(SystemClock)
    };
    let store = Store::in_memory().map_err(|e| e.to_string())?;
    // A throwaway run: nothing is kept once it ends.
    let mut engine = Engine::new(store, Arc::new(Registry::new()))
        .with_clock(clock)
        .with_persistence(Persistence::WaitingOnly);
    if let (Some(file), Some(case)) = (&args.mock_config, &args.test_case) {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("ReadError: cannot read {}: {e}", file.display()))?;
        let mocks = MockCase::load(&text, args.state_machine.as_deref(), case)
            .map_err(|e| format!("InvalidMockConfig: {e}"))?;
        engine = engine.with_mocks(mocks);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("RuntimeError: {e}"))?;
    // No handler is registered: an unmocked task fails with `States.Runtime`
    // naming its function, so the run always ends.
    let execution = runtime
        .block_on(engine.execute(&definition, &machine, args.name.as_deref(), input))
        .map_err(|e| e.to_string())?;
    let code = if execution.status == Status::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    let printed = print(&serde_json::to_string_pretty(&report(&execution)).unwrap_or_default());
    Ok(if printed == ExitCode::SUCCESS {
        code
    } else {
        printed
    })
}

/// The execution as `sfn run` prints it.
fn report(execution: &Execution) -> Value {
    json!({
        "status": execution.status.as_str(),
        "output": execution.output,
        "error": execution.error.as_ref().map(|e| &e.error),
        "cause": execution.error.as_ref().map(|e| &e.cause),
        "transitions": execution.transitions(),
        "history": execution.history().iter().map(responder_sfn::Event::to_aws).collect::<Vec<_>>(),
    })
}

fn read_input(input: Option<&Path>) -> Result<Value, String> {
    let Some(path) = input else {
        return Ok(json!({}));
    };
    let mut text = String::new();
    let read = if path.as_os_str() == "-" {
        io::stdin().lock().read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text))
    };
    read.map_err(|e| format!("ReadError: cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("InvalidExecutionInput: the input is not JSON: {e}"))
}

fn print(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("OutputError: cannot write to standard output: {e}");
            ExitCode::FAILURE
        }
    }
}
