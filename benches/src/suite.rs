//! The `bench` program: parse the command line, run the chosen benchmarks
//! with their plans, print one `BENCH` (or `BENCH-FAIL`) line each.
//!
//! ```text
//! bench [--quick] [--plan W,R,I] [NAME...]
//!                               run all benchmarks, or the NAMEs given
//! bench --list                  the names, units and descriptions
//! ```
//!
//! `--plan W,R,I` replaces every benchmark's plan by W warm-up iterations,
//! R repetitions and I iterations each (for experiments).
//!
//! `bench-child` is looked for beside `bench` (the folder of argv[0], or
//! `/bin` when argv[0] has no slash).

use crate::measure::{Plan, Samples};
use crate::micro::{self, Ctx};
use crate::os::{PathBuf, Res};
use crate::report::CATALOG;
use linux_rt::{println, Args, Bytes};

type Run = fn(&Ctx, Plan) -> Res<Samples>;

const fn plan(warmup: u32, reps: u32, iters: u32) -> Plan {
    Plan { warmup, reps, iters }
}

/// Each benchmark: name (as in the catalogue), body, full plan, quick plan.
const TABLE: &[(&str, Run, Plan, Plan)] = &[
    ("getppid", micro::getppid, plan(1000, 11, 5000), plan(100, 3, 200)),
    ("read-zero", micro::read_zero, plan(500, 11, 2000), plan(50, 3, 100)),
    ("write-null", micro::write_null, plan(500, 11, 2000), plan(50, 3, 100)),
    ("stat", micro::stat, plan(200, 11, 1000), plan(20, 3, 50)),
    ("fstat", micro::fstat, plan(200, 11, 1000), plan(20, 3, 50)),
    ("open-close", micro::open_close, plan(200, 11, 1000), plan(20, 3, 50)),
    ("pipe-lat", micro::pipe_lat, plan(100, 11, 500), plan(10, 3, 20)),
    ("pipe-bw", micro::pipe_bw, plan(2, 11, 16), plan(1, 3, 2)),
    ("fork-exit", micro::fork_exit, plan(5, 11, 30), plan(1, 3, 2)),
    ("fork-exec", micro::fork_exec, plan(5, 11, 30), plan(1, 3, 2)),
    ("ctx-2", micro::ctx2, plan(100, 11, 500), plan(10, 3, 20)),
    ("ctx-8", micro::ctx8, plan(50, 11, 200), plan(5, 3, 10)),
    ("pagefault", micro::pagefault, plan(64, 11, 256), plan(8, 3, 16)),
    ("sigaction", micro::sigaction, plan(200, 11, 2000), plan(20, 3, 100)),
    ("signal", micro::signal, plan(100, 11, 1000), plan(10, 3, 50)),
    ("aim", crate::aim::aim, plan(1, 11, 3), plan(0, 3, 1)),
];

fn usage() -> i32 {
    println!("usage: bench [--quick] [--plan W,R,I] [NAME...] | bench --list");
    2
}

/// `W,R,I` as a plan.
fn parse_plan(s: &[u8]) -> Option<Plan> {
    let mut n = [0u32; 3];
    let mut parts = s.split(|&b| b == b',');
    for v in n.iter_mut() {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 9 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *v = p.iter().fold(0, |a, &d| a * 10 + (d - b'0') as u32);
    }
    parts.next().is_none().then_some(plan(n[0], n[1], n[2]))
}

/// The folder of argv[0] (`/bin` if it has none).
fn bin_dir(argv0: &[u8]) -> &[u8] {
    match argv0.iter().rposition(|&b| b == b'/') {
        Some(0) => b"",
        Some(i) => &argv0[..i],
        None => b"/bin",
    }
}

/// The program's entry (`bench`).
pub fn main(args: &Args) -> i32 {
    let mut quick = false;
    let mut forced = None;
    let mut chosen = [false; CATALOG.len()];
    let mut any = false;
    let mut words = args.args().skip(1);
    while let Some(a) = words.next() {
        match a {
            b"--quick" => quick = true,
            b"--plan" => match words.next().and_then(parse_plan) {
                Some(p) => forced = Some(p),
                None => return usage(),
            },
            b"--list" => {
                for s in CATALOG {
                    println!("{:<12} {:<18} {}", s.name, s.unit, s.what);
                }
                return 0;
            }
            name => match CATALOG.iter().position(|s| s.name.as_bytes() == name) {
                Some(i) => {
                    chosen[i] = true;
                    any = true;
                }
                None => {
                    println!("bench: unknown benchmark '{}'", Bytes(name));
                    return usage();
                }
            },
        }
    }
    let ctx = Ctx { child: PathBuf::join(bin_dir(args.arg(0).unwrap_or(b"")), b"bench-child"), envp: args.envp as _ };
    println!("BENCH-BEGIN quick={} child={}", quick as u8, Bytes(ctx.child.as_cstr().to_bytes()));
    if let Err(e) = micro::prepare() {
        println!("BENCH-NOTE cannot create {}: {e}", Bytes(micro::STAT_FILE.to_bytes()));
    }
    let (mut ok, mut failed) = (0, 0);
    for (i, spec) in CATALOG.iter().enumerate() {
        if any && !chosen[i] {
            continue;
        }
        let Some(&(_, run, full, short)) = TABLE.iter().find(|t| t.0 == spec.name) else {
            println!("BENCH-FAIL {}: not implemented", spec.name);
            failed += 1;
            continue;
        };
        let plan = forced.unwrap_or(if quick { short } else { full });
        match run(&ctx, plan).map(|mut s| s.line(spec)) {
            Ok(Some(line)) => {
                println!("{line}");
                ok += 1;
            }
            Ok(None) => {
                println!("BENCH-FAIL {}: no samples", spec.name);
                failed += 1;
            }
            Err(e) => {
                println!("BENCH-FAIL {}: {e}", spec.name);
                failed += 1;
            }
        }
    }
    micro::cleanup();
    println!("BENCH-END ok={ok} failed={failed}");
    if failed == 0 {
        0
    } else {
        1
    }
}
