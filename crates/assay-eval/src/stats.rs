//! Scoring statistics over per-task counts: epoch reducers (mean, pass@k, pass^k), a
//! bootstrap clustered by task, and the paired comparison of two models on shared tasks
//! (paired task-clustered bootstrap and the exact two-sided sign test on discordant tasks,
//! which is McNemar's exact test when each task has one epoch).
//!
//! Everything here works on `(correct, epochs)` per task, never on transcripts.

use serde::Serialize;

/// How the epochs of one task reduce to the task's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "reducer", content = "k", rename_all = "kebab-case")]
pub enum Reducer {
    /// Correct epochs over epochs.
    Mean,
    /// The unbiased estimator of "at least one of k attempts succeeds":
    /// 1 - C(n-c, k) / C(n, k).
    PassAtK(u32),
    /// "All k of k attempts succeed": C(c, k) / C(n, k).
    PassHatK(u32),
}

impl Reducer {
    /// Parses `mean`, `pass@k` or `pass^k` with its `k`.
    pub fn parse(name: &str, k: Option<u32>) -> Result<Reducer, String> {
        let need_k = |k: Option<u32>| match k {
            Some(k) if k >= 1 => Ok(k),
            Some(_) => Err(format!("--k must be at least 1 for {name}")),
            None => Err(format!("{name} needs --k K (1 <= K <= epochs)")),
        };
        match name {
            "mean" => Ok(Reducer::Mean),
            "pass@k" => Ok(Reducer::PassAtK(need_k(k)?)),
            "pass^k" => Ok(Reducer::PassHatK(need_k(k)?)),
            other => Err(format!(
                "unknown reducer {}; use mean, pass@k or pass^k",
                assay_core::text::quote_short(other)
            )),
        }
    }

    pub fn k(&self) -> Option<u32> {
        match self {
            Reducer::Mean => None,
            Reducer::PassAtK(k) | Reducer::PassHatK(k) => Some(*k),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Reducer::Mean => "mean".into(),
            Reducer::PassAtK(k) => format!("pass@{k}"),
            Reducer::PassHatK(k) => format!("pass^{k}"),
        }
    }

    /// The score of a task with `c` correct of `n` epochs. `k > n` is the caller's error to
    /// refuse (see [`check_k`]); here it yields `NaN`.
    pub fn task_score(&self, c: u64, n: u64) -> f64 {
        if n == 0 {
            return f64::NAN;
        }
        match *self {
            Reducer::Mean => c as f64 / n as f64,
            Reducer::PassAtK(k) => pass_at_k(n, c, u64::from(k)),
            Reducer::PassHatK(k) => pass_hat_k(n, c, u64::from(k)),
        }
    }
}

/// Refuses a `k` larger than a task's epochs; names the task.
pub fn check_k<'a>(
    reducer: Reducer,
    tasks: impl IntoIterator<Item = (&'a str, u64)>,
) -> Result<(), String> {
    let Some(k) = reducer.k() else { return Ok(()) };
    for (task, n) in tasks {
        if u64::from(k) > n {
            return Err(format!(
                "{}: k = {k} but task {} has only {n} epoch(s) in the log; choose k <= {n} \
                 (or run more epochs)",
                reducer.label(),
                assay_core::text::quote_short(task)
            ));
        }
    }
    Ok(())
}

/// 1 - C(n-c, k)/C(n, k), computed as 1 - prod_{i=n-c+1}^{n} (1 - k/i) (no overflow).
pub fn pass_at_k(n: u64, c: u64, k: u64) -> f64 {
    if k > n || n == 0 {
        return f64::NAN;
    }
    let c = c.min(n);
    if n - c < k {
        return 1.0;
    }
    let mut prod = 1.0;
    for i in (n - c + 1)..=n {
        prod *= 1.0 - k as f64 / i as f64;
    }
    1.0 - prod
}

/// C(c, k)/C(n, k) = prod_{i=0}^{k-1} (c-i)/(n-i).
pub fn pass_hat_k(n: u64, c: u64, k: u64) -> f64 {
    if k > n || n == 0 {
        return f64::NAN;
    }
    let c = c.min(n);
    if c < k {
        return 0.0;
    }
    let mut prod = 1.0;
    for i in 0..k {
        prod *= (c - i) as f64 / (n - i) as f64;
    }
    prod
}

/// SplitMix64: a small, well-known deterministic generator; enough for resampling indices.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift with rejection; no modulo bias).
    pub fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }
}

/// Bootstrap settings.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Bootstrap {
    pub resamples: u32,
    pub seed: u64,
    pub confidence: f64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 2000,
            seed: 0x5EED,
            confidence: 0.95,
        }
    }
}

/// A percentile interval.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Percentile {
    pub lower: f64,
    pub upper: f64,
}

/// The percentile interval of `values` (sorted in place) at `confidence`, type-7 quantiles
/// (numpy's default linear interpolation).
pub fn percentile_interval(values: &mut [f64], confidence: f64) -> Percentile {
    values.sort_by(f64::total_cmp);
    let a = (1.0 - confidence) / 2.0;
    Percentile {
        lower: quantile(values, a),
        upper: quantile(values, 1.0 - a),
    }
}

/// Linear-interpolation quantile of sorted `v` (numpy `method="linear"`).
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// One task's counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaskCount {
    pub correct: u64,
    pub epochs: u64,
}

/// The group's point estimate: with [`Reducer::Mean`], correct samples over samples (each
/// sample weighs the same); otherwise the mean of the task scores.
pub fn estimate(tasks: &[TaskCount], reducer: Reducer) -> f64 {
    match reducer {
        Reducer::Mean => {
            let (c, n) = tasks
                .iter()
                .fold((0, 0), |(c, n), t| (c + t.correct, n + t.epochs));
            if n == 0 {
                f64::NAN
            } else {
                c as f64 / n as f64
            }
        }
        r => {
            let s: f64 = tasks
                .iter()
                .map(|t| r.task_score(t.correct, t.epochs))
                .sum();
            s / tasks.len() as f64
        }
    }
}

/// A bootstrap clustered by task: tasks are resampled with replacement, all epochs of a task
/// together, and the estimate recomputed; the percentile interval of the resampled
/// estimates. Deterministic for a seed. `None` without tasks.
pub fn clustered_bootstrap(
    tasks: &[TaskCount],
    reducer: Reducer,
    b: Bootstrap,
) -> Option<Percentile> {
    if tasks.is_empty() || b.resamples == 0 {
        return None;
    }
    let mut rng = Rng::new(b.seed);
    let mut stats = Vec::with_capacity(b.resamples as usize);
    let scores: Vec<f64> = tasks
        .iter()
        .map(|t| reducer.task_score(t.correct, t.epochs))
        .collect();
    for _ in 0..b.resamples {
        let (mut num, mut den) = (0.0, 0.0);
        for _ in 0..tasks.len() {
            let i = rng.below(tasks.len());
            match reducer {
                Reducer::Mean => {
                    num += tasks[i].correct as f64;
                    den += tasks[i].epochs as f64;
                }
                _ => {
                    num += scores[i];
                    den += 1.0;
                }
            }
        }
        stats.push(if den == 0.0 { 0.0 } else { num / den });
    }
    Some(percentile_interval(&mut stats, b.confidence))
}

/// The exact two-sided sign test: with `plus` and `minus` discordant tasks, the probability
/// under p = 1/2 of a split at least as uneven, `min(1, 2 * P(X <= min))`, X ~ Bin(n, 1/2).
/// With one epoch per task this is McNemar's exact test.
pub fn sign_test(plus: u64, minus: u64) -> f64 {
    let n = plus + minus;
    if n == 0 {
        return 1.0;
    }
    let m = plus.min(minus);
    // log pmf(0) = -n ln 2; pmf(i+1) = pmf(i) * (n-i)/(i+1).
    let mut log_pmf = -(n as f64) * std::f64::consts::LN_2;
    let mut logs = Vec::with_capacity(m as usize + 1);
    for i in 0..=m {
        logs.push(log_pmf);
        log_pmf += ((n - i) as f64).ln() - ((i + 1) as f64).ln();
    }
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logs.iter().map(|l| (l - max).exp()).sum();
    (2.0 * (max + sum.ln()).exp()).min(1.0)
}

/// One task scored by both models.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub a: TaskCount,
    pub b: TaskCount,
}

/// The paired comparison on shared tasks.
#[derive(Debug, Clone, Serialize)]
pub struct Paired {
    pub tasks: usize,
    pub accuracy_a: f64,
    pub accuracy_b: f64,
    /// `accuracy_a - accuracy_b`.
    pub difference: f64,
    /// Paired bootstrap clustered by task (the same resampled tasks for both models).
    pub difference_interval: Option<Percentile>,
    /// Tasks where A's score is higher / lower than B's (ties are not counted).
    pub a_better: u64,
    pub b_better: u64,
    /// Exact two-sided sign test on the discordant tasks (McNemar's exact test with one epoch).
    pub p_value: f64,
}

/// Compares A with B on `pairs` (tasks both scored), reducing epochs by `reducer`.
pub fn paired(pairs: &[Pair], reducer: Reducer, b: Bootstrap) -> Paired {
    let a: Vec<TaskCount> = pairs.iter().map(|p| p.a).collect();
    let bb: Vec<TaskCount> = pairs.iter().map(|p| p.b).collect();
    let accuracy_a = estimate(&a, reducer);
    let accuracy_b = estimate(&bb, reducer);
    let (mut a_better, mut b_better) = (0, 0);
    for p in pairs {
        let sa = reducer.task_score(p.a.correct, p.a.epochs);
        let sb = reducer.task_score(p.b.correct, p.b.epochs);
        if sa > sb {
            a_better += 1;
        } else if sb > sa {
            b_better += 1;
        }
    }
    let difference_interval = (!pairs.is_empty() && b.resamples > 0).then(|| {
        let mut rng = Rng::new(b.seed);
        let mut stats = Vec::with_capacity(b.resamples as usize);
        let mut ra = Vec::with_capacity(pairs.len());
        let mut rb = Vec::with_capacity(pairs.len());
        for _ in 0..b.resamples {
            ra.clear();
            rb.clear();
            for _ in 0..pairs.len() {
                let i = rng.below(pairs.len());
                ra.push(pairs[i].a);
                rb.push(pairs[i].b);
            }
            let d = estimate(&ra, reducer) - estimate(&rb, reducer);
            stats.push(if d.is_nan() { 0.0 } else { d });
        }
        percentile_interval(&mut stats, b.confidence)
    });
    Paired {
        tasks: pairs.len(),
        accuracy_a,
        accuracy_b,
        difference: accuracy_a - accuracy_b,
        difference_interval,
        a_better,
        b_better,
        p_value: sign_test(a_better, b_better),
    }
}
