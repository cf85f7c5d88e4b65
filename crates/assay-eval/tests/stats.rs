#![allow(clippy::print_stderr)] // says why the scipy check is skipped
//! Reducers, the task-clustered bootstrap and the sign test against hand-computed cases,
//! and (when python3 with numpy and scipy is installed) against scipy/numpy.

use assay_eval::stats::{
    Bootstrap, Pair, Reducer, TaskCount, clustered_bootstrap, estimate, paired, pass_at_k,
    pass_hat_k, quantile, sign_test,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn pass_at_k_and_pass_hat_k_by_hand() {
    // n = 5 epochs, c = 2 correct, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10; C(2,2)/C(5,2) = 1/10.
    assert!(close(pass_at_k(5, 2, 2), 0.7, 1e-12));
    assert!(close(pass_hat_k(5, 2, 2), 0.1, 1e-12));
    // k = 1 is the mean for both.
    assert!(close(pass_at_k(5, 2, 1), 0.4, 1e-12));
    assert!(close(pass_hat_k(5, 2, 1), 0.4, 1e-12));
    // Too few failures to fill k draws: certain success; too few successes: certain failure.
    assert_eq!(pass_at_k(5, 4, 2), 1.0);
    assert_eq!(pass_hat_k(5, 1, 2), 0.0);
    assert_eq!(pass_hat_k(3, 3, 3), 1.0);
    assert_eq!(pass_at_k(3, 0, 3), 0.0);
    // 10 epochs, 3 correct, k = 5: 1 - C(7,5)/C(10,5) = 1 - 21/252.
    assert!(close(pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12));
    // k > n is not a number (the view refuses it by name before).
    assert!(pass_at_k(2, 1, 3).is_nan());
}

#[test]
fn reducers_parse_and_refuse_missing_k() {
    assert_eq!(Reducer::parse("mean", None).unwrap(), Reducer::Mean);
    assert_eq!(
        Reducer::parse("pass@k", Some(3)).unwrap(),
        Reducer::PassAtK(3)
    );
    assert!(
        Reducer::parse("pass^k", None)
            .unwrap_err()
            .contains("needs --k")
    );
    assert!(Reducer::parse("pass@k", Some(0)).is_err());
    assert!(Reducer::parse("median", None).is_err());
}

#[test]
fn sign_test_by_hand() {
    // 1 vs 7 discordant: 2 * (C(8,0) + C(8,1)) / 2^8 = 18/256.
    assert!(close(sign_test(1, 7), 18.0 / 256.0, 1e-12));
    assert!(close(sign_test(7, 1), 18.0 / 256.0, 1e-12));
    // 0 vs 5: 2/32.
    assert!(close(sign_test(0, 5), 0.0625, 1e-12));
    assert_eq!(sign_test(3, 3), 1.0);
    assert_eq!(sign_test(0, 0), 1.0);
    // Large n does not underflow: 400 vs 600 is far from chance.
    let p = sign_test(400, 600);
    assert!(p > 0.0 && p < 1e-9, "{p}");
}

#[test]
fn quantile_is_numpy_linear() {
    let v = [1.0, 2.0, 3.0, 4.0];
    assert!(close(quantile(&v, 0.25), 1.75, 1e-12));
    assert!(close(quantile(&v, 0.975), 3.925, 1e-12));
}

#[test]
fn clustered_bootstrap_sees_agreeing_epochs() {
    // Two tasks of 10 epochs: one always right, one always wrong. As 20 independent samples
    // 10 of 20 looks fairly certain (Wilson ~[30%, 70%]); resampling tasks shows the truth:
    // the resampled accuracy is 0, 1/2 or 1, so the 95% interval is [0, 1].
    let tasks = [
        TaskCount {
            correct: 10,
            epochs: 10,
        },
        TaskCount {
            correct: 0,
            epochs: 10,
        },
    ];
    let b = clustered_bootstrap(&tasks, Reducer::Mean, Bootstrap::default()).unwrap();
    assert_eq!((b.lower, b.upper), (0.0, 1.0));
    // All tasks alike: a degenerate interval at the estimate.
    let same = [TaskCount {
        correct: 3,
        epochs: 4,
    }; 7];
    let b = clustered_bootstrap(&same, Reducer::Mean, Bootstrap::default()).unwrap();
    assert_eq!((b.lower, b.upper), (0.75, 0.75));
    assert!(close(estimate(&same, Reducer::Mean), 0.75, 1e-12));
}

#[test]
fn bootstrap_is_deterministic_for_a_seed() {
    let tasks: Vec<TaskCount> = (0..30)
        .map(|i| TaskCount {
            correct: (i * 7 % 4) as u64,
            epochs: 3,
        })
        .collect();
    let b1 = Bootstrap {
        seed: 42,
        ..Bootstrap::default()
    };
    let a = clustered_bootstrap(&tasks, Reducer::PassAtK(2), b1).unwrap();
    let again = clustered_bootstrap(&tasks, Reducer::PassAtK(2), b1).unwrap();
    assert_eq!(a, again);
    let other = clustered_bootstrap(
        &tasks,
        Reducer::PassAtK(2),
        Bootstrap {
            seed: 43,
            ..Bootstrap::default()
        },
    )
    .unwrap();
    assert_ne!(a, other);
    let est = estimate(&tasks, Reducer::PassAtK(2));
    assert!(a.lower < est && est < a.upper, "{a:?} {est}");
}

#[test]
fn paired_comparison_by_hand() {
    // 10 tasks, one epoch each: A right on 8, B right on 3; A better on 6, B better on 1,
    // 3 ties (2 both right, 1 both wrong).
    let t = |c| TaskCount {
        correct: c,
        epochs: 1,
    };
    let mut pairs = vec![Pair { a: t(1), b: t(0) }; 6];
    pairs.push(Pair { a: t(0), b: t(1) });
    pairs.extend(vec![Pair { a: t(1), b: t(1) }; 2]);
    pairs.push(Pair { a: t(0), b: t(0) });
    let p = paired(&pairs, Reducer::Mean, Bootstrap::default());
    assert_eq!(p.tasks, 10);
    assert!(close(p.accuracy_a, 0.8, 1e-12) && close(p.accuracy_b, 0.3, 1e-12));
    assert!(close(p.difference, 0.5, 1e-12));
    assert_eq!((p.a_better, p.b_better), (6, 1));
    // McNemar exact: 2 * (C(7,0) + C(7,1)) / 2^7 = 16/128.
    assert!(close(p.p_value, 0.125, 1e-12));
    let i = p.difference_interval.unwrap();
    assert!(
        i.lower > 0.0 && i.upper <= 1.0 && i.lower < 0.5 && 0.5 < i.upper,
        "{i:?}"
    );
}

/// Checks against scipy/numpy when they are installed; otherwise prints why it skips.
#[test]
fn agrees_with_scipy_and_numpy_when_installed() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import numpy, scipy"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("skipped: python3 with numpy and scipy is not installed");
            return;
        }
    }
    // Data: 40 tasks with 5 epochs; deterministic counts.
    let counts: Vec<u64> = (0..40u64).map(|i| (i * 11 + 3) % 6).collect();
    let tasks: Vec<TaskCount> = counts
        .iter()
        .map(|&c| TaskCount {
            correct: c.min(5),
            epochs: 5,
        })
        .collect();
    let cs: Vec<String> = tasks.iter().map(|t| t.correct.to_string()).collect();
    let script = format!(
        r#"
import numpy as np
from scipy.special import comb
from scipy.stats import binomtest
c = np.array([{}]); n = 5; k = 2
at = np.mean([1 - comb(n - x, k, exact=True) / comb(n, k, exact=True) for x in c])
hat = np.mean([comb(x, k, exact=True) / comb(n, k, exact=True) for x in c])
p = binomtest(3, 17, 0.5, alternative='two-sided').pvalue
rng = np.random.default_rng(7)
idx = rng.integers(0, len(c), size=(20000, len(c)))
boot = c[idx].sum(axis=1) / (n * len(c))
lo, hi = np.percentile(boot, [2.5, 97.5])
print(at, hat, p, lo, hi)
"#,
        cs.join(",")
    );
    let o = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<f64> = String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(close(estimate(&tasks, Reducer::PassAtK(2)), v[0], 1e-12));
    assert!(close(estimate(&tasks, Reducer::PassHatK(2)), v[1], 1e-12));
    assert!(
        close(sign_test(3, 14), v[2], 1e-12),
        "{} {}",
        sign_test(3, 14),
        v[2]
    );
    // Different generators: the two bootstrap intervals agree up to Monte-Carlo noise.
    let b = clustered_bootstrap(
        &tasks,
        Reducer::Mean,
        Bootstrap {
            resamples: 20_000,
            ..Bootstrap::default()
        },
    )
    .unwrap();
    assert!(
        close(b.lower, v[3], 0.015) && close(b.upper, v[4], 0.015),
        "{b:?} vs {v:?}"
    );
}
