//! Check a saved console of the roottask's `spec-replay=SEED,COUNT` mode
//! against the spec: `cargo run -p spec --example check_replay -- FILE SEED COUNT`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, seed, count] = &args[..] else {
        eprintln!("usage: check_replay CONSOLE-FILE SEED COUNT");
        std::process::exit(2);
    };
    let console = std::fs::read_to_string(file).expect("console file");
    let seed = seed
        .strip_prefix("0x")
        .map_or_else(|| seed.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
        .expect("seed");
    match spec::replay::check_output(seed, &console, count.parse().expect("count")) {
        Ok(c) => println!(
            "replay matches the spec: {} rounds, {} operations executed, {} records",
            c.rounds, c.executed, c.records
        ),
        Err(e) => {
            println!("replay diverges from the spec: {e}");
            std::process::exit(1);
        }
    }
}
