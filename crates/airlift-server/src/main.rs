//! `airliftd`: the fleet server binary. All logic lives in the library so integration tests and
//! future tools can reuse it; this file only hands the command line over.

fn main() -> std::process::ExitCode {
    airlift_server::cli::run()
}
