//! The `lifecircle` command: parse, validate into a config, call the library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
