//! Drives the planner for scripts/bench-plan.sh (not an example for users).
//!
//! * `plan_bench gen SUBJECTS MARKETS OUT.json`: writes the merged synthetic input (calendar
//!   days only, so the networkx peer computes exactly the same thing).
//! * `plan_bench plan IN.json`: reads it, plans it, prints timings, a checksum of the market
//!   dates and slack, and the peak resident memory.
//! * `plan_bench subjects SUBJECTS MARKETS`: plans that many separate subjects (the
//!   `assay assess` shape), prints the time and peak memory.
//! * `plan_bench merged SUBJECTS MARKETS`: the merged plan built in memory, planning time only.
//! * `plan_bench svg MARKETS OUT.svg`: draws one synthetic subject's plan.

#![allow(clippy::print_stdout, clippy::print_stderr)] // prints its results

use std::time::Instant;

#[path = "../benches/synthetic.rs"]
mod synthetic;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn arg(args: &[String], i: usize) -> anyhow_free::Result<&str> {
    args.get(i)
        .map(String::as_str)
        .ok_or_else(|| format!("missing argument {i}; see the doc comment"))
}

mod anyhow_free {
    pub type Result<T> = std::result::Result<T, String>;
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    match arg(&args, 1)? {
        "gen" => {
            let subjects: usize = arg(&args, 2)?.parse().map_err(|e| format!("{e}"))?;
            let markets: usize = arg(&args, 3)?.parse().map_err(|e| format!("{e}"))?;
            let input = synthetic::merged(subjects, markets, true);
            let json = serde_json::to_string(&input).map_err(|e| e.to_string())?;
            std::fs::write(arg(&args, 4)?, json).map_err(|e| e.to_string())?;
        }
        "plan" => {
            let path = arg(&args, 2)?;
            let t0 = Instant::now();
            let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
            let input = assay_plan::PlanInput::from_json(&text, path).map_err(|e| e.to_string())?;
            let t1 = Instant::now();
            let plan = assay_plan::plan(&input).map_err(|e| e.to_string())?;
            let t2 = Instant::now();
            let date_sum: i64 = plan
                .markets
                .iter()
                .map(|m| plan.start.days_until(m.earliest))
                .sum();
            let slack_sum: i64 = plan.steps.iter().map(|s| s.slack_days).sum();
            let critical = plan.steps.iter().filter(|s| s.critical).count();
            println!(
                "assay-plan: steps={} markets={} read+parse={:.3}s plan={:.3}s total={:.3}s market_day_sum={} slack_sum={} critical={} peak_rss_mib={:.0}",
                plan.summary.steps,
                plan.markets.len(),
                (t1 - t0).as_secs_f64(),
                (t2 - t1).as_secs_f64(),
                (t2 - t0).as_secs_f64(),
                date_sum,
                slack_sum,
                critical,
                peak_rss_mib()
            );
        }
        "subjects" => {
            let subjects: usize = arg(&args, 2)?.parse().map_err(|e| format!("{e}"))?;
            let markets: usize = arg(&args, 3)?.parse().map_err(|e| format!("{e}"))?;
            let inputs: Vec<_> = (0..subjects)
                .map(|s| synthetic::subject(s, markets, false))
                .collect();
            let rss_inputs = peak_rss_mib();
            let t0 = Instant::now();
            let mut steps = 0;
            let mut date_sum = 0i64;
            for input in &inputs {
                let plan = assay_plan::plan(input).map_err(|e| e.to_string())?;
                steps += plan.summary.steps;
                date_sum += plan
                    .markets
                    .iter()
                    .map(|m| plan.start.days_until(m.earliest))
                    .sum::<i64>();
            }
            let elapsed = t0.elapsed().as_secs_f64();
            println!(
                "assay-plan subjects: subjects={subjects} markets={markets} steps={steps} plan={elapsed:.3}s market_day_sum={date_sum} peak_rss_mib={:.0} (inputs alone: {rss_inputs:.0})",
                peak_rss_mib()
            );
        }
        "svg" => {
            // One synthetic subject with MARKETS markets, drawn: for looking at the chart.
            let markets: usize = arg(&args, 2)?.parse().map_err(|e| format!("{e}"))?;
            let plan = assay_plan::plan(&synthetic::subject(0, markets, false))
                .map_err(|e| e.to_string())?;
            std::fs::write(arg(&args, 3)?, assay_plan::render_svg(&plan))
                .map_err(|e| e.to_string())?;
        }
        "merged" => {
            let subjects: usize = arg(&args, 2)?.parse().map_err(|e| format!("{e}"))?;
            let markets: usize = arg(&args, 3)?.parse().map_err(|e| format!("{e}"))?;
            let input = synthetic::merged(subjects, markets, true);
            let t0 = Instant::now();
            let plan = assay_plan::plan(&input).map_err(|e| e.to_string())?;
            println!(
                "assay-plan merged in memory: steps={} plan={:.3}s peak_rss_mib={:.0}",
                plan.summary.steps,
                t0.elapsed().as_secs_f64(),
                peak_rss_mib()
            );
        }
        other => {
            return Err(format!(
                "unknown command `{other}`; use gen, plan or subjects"
            ));
        }
    }
    Ok(())
}
