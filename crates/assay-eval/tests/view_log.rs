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
