//! `view`: counts per group with Wilson intervals, the 0-of-N bound, and robustness to a
//! torn last line and over-long lines, in bounded memory.

use std::io::Cursor;

use assay_eval::view::{render_text, summarize_reader};

fn sample(task: &str, cat: &str, tag: &str, correct: bool) -> String {
    format!(
        r#"{{"type":"sample","suite":"s","task_id":"{task}","category":"{cat}","tag":"{tag}","correct":{correct},"error":null,"transcript":[{{"role":"user","content":"x"}}]}}"#
    ) + "\n"
}

#[test]
fn accuracy_per_group_with_wilson_and_zero_bound() {
    let mut log = String::from(r#"{"type":"run","run_id":"r1","suite":"s","model":"replay:x"}"#);
    log.push('\n');
    for i in 0..5 {
        log += &sample(&format!("o{i}"), "offensive", "crypto", i < 3);
    }
    for i in 0..10 {
        log += &sample(&format!("d{i}"), "defensive", "patch", false);
    }
    log += r#"{"type":"excluded","suite":"s","task_id":"bad","reason":"reference solution fails"}"#;
    log += "\n{\"type\":\"sample\",\"suite\":\"s\",\"corr"; // torn by a kill
    let s = summarize_reader(Cursor::new(log), "log.jsonl").unwrap();
    let g = |name: &str| s.groups.iter().find(|g| g.group == name).unwrap().clone();
    let off = g("offensive");
    assert_eq!((off.correct, off.samples), (3, 5));
    assert!(
        (off.lower - 0.2307).abs() < 1e-3 && (off.upper - 0.8824).abs() < 1e-3,
        "{off:?}"
    );
    let def = g("defensive");
    assert_eq!((def.correct, def.samples), (0, 10));
    // 1 - 0.05^(1/10)
    assert!(
        (def.zero_upper_bound.unwrap() - 0.2589).abs() < 1e-3,
        "{def:?}"
    );
    assert_eq!(g("all").samples, 15);
    assert_eq!(s.excluded.len(), 1);
    assert_eq!(s.bad_lines, 1);
    let text = render_text(&s);
    assert!(text.contains("EXCLUDED"), "{text}");
    assert!(text.contains("[23.1%, 88.2%] (Wilson)"), "{text}");
    assert!(
        text.contains("at most 25.9% (one-sided 95% upper bound, 0 of 10)"),
        "{text}"
    );
    assert!(text.contains("log.jsonl:18: not a log record"), "{text}");
}

#[test]
fn a_large_log_is_summarised_line_by_line() {
    // 20 000 samples with 4 KiB transcripts: ~80 MB streamed; only counts are kept.
    struct Gen {
        i: usize,
        buf: Vec<u8>,
        pos: usize,
    }
    impl std::io::Read for Gen {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.pos == self.buf.len() {
                if self.i == 20_000 {
                    return Ok(0);
                }
                let filler = "y".repeat(4096);
                self.buf = format!(
                    r#"{{"type":"sample","suite":"big","task_id":"t{}","category":"offensive","tag":"t","correct":{},"transcript":[{{"role":"tool","content":"{filler}"}}]}}"#,
                    self.i,
                    self.i.is_multiple_of(4)
                )
                .into_bytes();
                self.buf.push(b'\n');
                self.pos = 0;
                self.i += 1;
            }
            let n = out.len().min(self.buf.len() - self.pos);
            out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }
    let r = std::io::BufReader::new(Gen {
        i: 0,
        buf: vec![],
        pos: 0,
    });
    let s = summarize_reader(r, "big").unwrap();
    let all = s.groups.iter().find(|g| g.group == "all").unwrap();
    assert_eq!((all.correct, all.samples), (5_000, 20_000));
}

fn epoch_sample(task: &str, epoch: u32, correct: bool, error: bool) -> String {
    let err = if error {
        r#""provider: gave up""#
    } else {
        "null"
    };
    format!(
        r#"{{"type":"sample","suite":"s","task_id":"{task}","epoch":{epoch},"category":"offensive","tag":"crypto","correct":{correct},"stop":"{}","error":{err},"transcript":[]}}"#,
        if error { "error" } else { "submitted" }
    ) + "\n"
}

#[test]
fn each_task_epoch_counts_once_the_latest_record_winning() {
    // t1 epoch 2 first errored, then a resume ran it again and it passed.
    let mut log = String::new();
    log += &epoch_sample("t1", 1, true, false);
    log += &epoch_sample("t1", 2, false, true);
    log += &epoch_sample("t2", 1, false, false);
    log += &epoch_sample("t2", 2, false, false);
    log += &epoch_sample("t1", 2, true, false);
    let s = summarize_reader(Cursor::new(log), "log").unwrap();
    let all = s.groups.iter().find(|g| g.group == "all").unwrap();
    assert_eq!((all.correct, all.samples, all.errors), (2, 4, 0));
    assert_eq!(all.tasks, 2);
    assert_eq!(s.superseded, 1);
    assert!(render_text(&s).contains("1 sample records replaced"));
}

fn three_epoch_log() -> String {
    // t1: 3 of 3, t2: 1 of 3, t3: 0 of 3.
    let mut log = String::new();
    for (task, c) in [("t1", 3), ("t2", 1), ("t3", 0)] {
        for e in 1..=3 {
            log += &epoch_sample(task, e, e <= c, false);
        }
    }
    log
}

#[test]
fn reducers_in_view_and_k_larger_than_epochs_is_refused() {
    use assay_eval::stats::{Bootstrap, Reducer};
    use assay_eval::view::{ViewOptions, summarize_reader_with};
    let opts = |r| ViewOptions {
        reducer: r,
        bootstrap: Bootstrap::default(),
    };
    let s = summarize_reader_with(
        Cursor::new(three_epoch_log()),
        "log",
        &opts(Reducer::PassAtK(2)),
    )
    .unwrap();
    let all = s.groups.iter().find(|g| g.group == "all").unwrap();
    // pass@2: t1 1, t2 1 - C(2,2)/C(3,2) = 2/3, t3 0; mean 5/9.
    assert!((all.score - 5.0 / 9.0).abs() < 1e-12, "{all:?}");
    assert_eq!((all.correct, all.samples), (4, 9));
    let text = render_text(&s);
    assert!(text.contains("pass@2 55.6% ["), "{text}");
    let s = summarize_reader_with(
        Cursor::new(three_epoch_log()),
        "log",
        &opts(Reducer::PassHatK(2)),
    )
    .unwrap();
    let all = s.groups.iter().find(|g| g.group == "all").unwrap();
    // pass^2: t1 1, t2 0, t3 0.
    assert!((all.score - 1.0 / 3.0).abs() < 1e-12, "{all:?}");
    let e = summarize_reader_with(
        Cursor::new(three_epoch_log()),
        "log",
        &opts(Reducer::PassAtK(4)),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("k = 4 but task t1 has only 3 epoch(s)"), "{e}");
}

#[test]
fn paired_comparison_of_two_logs() {
    use assay_eval::view::{ViewOptions, compare, render_comparison};
    let one = |task: &str, correct| epoch_sample(task, 1, correct, false);
    let mut a = String::from(r#"{"type":"run","run_id":"a","suite":"s","model":"openai:new"}"#);
    a.push('\n');
    let mut b = String::from(r#"{"type":"run","run_id":"b","suite":"s","model":"openai:old"}"#);
    b.push('\n');
    // Shared t0..t9: A right on t0..t7, B right on t6..t8 -> A better on 6, B on 1.
    for i in 0..10 {
        a += &one(&format!("t{i}"), i < 8);
        b += &one(&format!("t{i}"), (6..9).contains(&i));
    }
    a += &one("only-a", true);
    b += &one("only-b1", true);
    b += &one("only-b2", false);
    let sa = summarize_reader(Cursor::new(a), "a").unwrap();
    let sb = summarize_reader(Cursor::new(b), "b").unwrap();
    let c = compare(&sa, &sb, &ViewOptions::default());
    assert_eq!(c.paired.tasks, 10);
    assert!((c.paired.accuracy_a - 0.8).abs() < 1e-12);
    assert!((c.paired.accuracy_b - 0.3).abs() < 1e-12);
    assert_eq!((c.paired.a_better, c.paired.b_better), (6, 1));
    assert!((c.paired.p_value - 0.125).abs() < 1e-12);
    assert_eq!((c.only_in_log, c.only_in_reference), (1, 2));
    assert_eq!(c.only_in_reference_named, vec!["s/only-b1", "s/only-b2"]);
    let text = render_comparison(&c);
    assert!(
        text.contains("paired comparison on 10 shared tasks"),
        "{text}"
    );
    assert!(text.contains("difference +50.0 points, 95% ["), "{text}");
    assert!(text.contains("p = 0.1250"), "{text}");
    assert!(
        text.contains("2 tasks only in the reference (not compared): s/only-b1, s/only-b2"),
        "{text}"
    );
}
