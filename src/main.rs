use clap::Parser;

fn main() {
    let _cli = loadpilot::Cli::parse();
}
