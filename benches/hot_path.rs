//! Allocations per request on the load engine's hot path, counted by a wrapping
//! global allocator. The demo target runs as a separate process, so only the
//! client side (VUs, hyper's client, recorder, aggregator) is counted.
//!
//!   cargo bench --bench hot_path
//!
//! Prints figures; asserts nothing. Traffic stays on 127.0.0.1.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use loadpilot::cli::RunOptions;
use loadpilot::plan::flat_stages;
use loadpilot::profile::Profile;
use loadpilot::session::Session;

/// Counts every allocation and reallocation, then defers to the system allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters have no effect on the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let mut target = Command::new(env!("CARGO_BIN_EXE_loadpilot"))
        .args(["target", "--listen", "127.0.0.1:0", "--workers", "256"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo target");
    let mut line = String::new();
    BufReader::new(target.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the target's address");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the target prints its URL")
        .to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "{:<10} {:>10} {:>12} {:>14} {:>14}",
        "VUs", "requests", "req/s", "allocs/req", "bytes/req"
    );
    for vus in [1u32, 10, 50] {
        let run = |duration: Duration| {
            let profile = Profile::for_url(&format!("{base}/ping"), flat_stages(vus, duration))
                .expect("valid URL");
            let opts = RunOptions {
                headless: true,
                no_snapshot: true,
                progress_every: Duration::from_secs(60),
                watch_every: Duration::from_secs(60),
                ..RunOptions::default()
            };
            runtime.block_on(async {
                let session = Session::start(profile, &opts, None).expect("session");
                session.wait().await.expect("run")
            })
        };
        // A warm-up run fills pools and buffers; the measured run follows.
        run(Duration::from_secs(1));
        let (allocs, bytes) = (
            ALLOCATIONS.load(Ordering::Relaxed),
            BYTES.load(Ordering::Relaxed),
        );
        let started = Instant::now();
        let out = run(Duration::from_secs(3));
        let secs = started.elapsed().as_secs_f64();
        let n = out.summary.overall.count.max(1);
        let allocs = ALLOCATIONS.load(Ordering::Relaxed) - allocs;
        let bytes = BYTES.load(Ordering::Relaxed) - bytes;
        println!(
            "{vus:<10} {n:>10} {:>12.0} {:>14.2} {:>14.1}",
            n as f64 / secs,
            allocs as f64 / n as f64,
            bytes as f64 / n as f64
        );
    }
    let _ = target.kill();
    let _ = target.wait();
}
