//! The OpenAI-compatible provider against a mock server on 127.0.0.1 (std TcpListener,
//! canned answers): retries with backoff on 429/5xx reported as notes, clear failures,
//! timeouts, keys never in the transcript.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assay_core::Reporter;
use assay_eval::provider::{CallContext, Message, OpenAi, OpenAiConfig, Provider, Role};

/// Serves one canned response per connection, in order; records each request.
fn mock(responses: Vec<String>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for resp in responses {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                head.push_str(&line);
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            seen2
                .lock()
                .unwrap()
                .push(head + &String::from_utf8_lossy(&body));
            if resp == "HANG" {
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
            s.write_all(resp.as_bytes()).unwrap();
        }
    });
    (url, seen)
}

fn http(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
}

const OK: &str = r#"{"id":"x","model":"gpt-test-2026-01-01","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"bash","arguments":"{\"cmd\":\"cat flag\"}"}}]}}],"usage":{"prompt_tokens":12,"completion_tokens":7}}"#;

#[derive(Default)]
struct Notes(Mutex<Vec<String>>);
impl Reporter for Notes {
    fn note(&self, m: &str) {
        self.0.lock().unwrap().push(m.to_string());
    }
}

fn provider(url: &str, retries: u32, timeout: Duration) -> OpenAi {
    OpenAi::new(OpenAiConfig {
        base_url: url.into(),
        model: "gpt-test".into(),
        api_key: "sk-never-in-logs-123".into(),
        temperature: Some(0.0),
        seed: Some(7),
        max_tokens: None,
        retries,
        backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        timeout,
    })
}

fn call(p: &OpenAi, notes: &Notes) -> assay_eval::Result<assay_eval::provider::Generation> {
    let ctx = CallContext {
        task_id: "t1",
        epoch: 1,
        reporter: notes,
    };
    p.generate(
        &ctx,
        &[Message::new(Role::User, "hi")],
        &assay_eval::agent::tools(),
    )
}

#[test]
fn retries_429_and_500_then_succeeds() {
    let (url, seen) = mock(vec![
        http("429 Too Many Requests", "Retry-After: 0\r\n", "{}"),
        http("500 Internal Server Error", "", "oops"),
        http("200 OK", "", OK),
    ]);
    let notes = Notes::default();
    let g = call(&provider(&url, 5, Duration::from_secs(5)), &notes).unwrap();
    assert_eq!(g.message.tool_calls[0].name, "bash");
    assert_eq!(g.message.tool_calls[0].arguments["cmd"], "cat flag");
    assert_eq!((g.input_tokens, g.output_tokens), (12, 7));
    assert_eq!(g.model_version.as_deref(), Some("gpt-test-2026-01-01"));
    let notes = notes.0.lock().unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("retry 1/5 after 429, waiting 0.0 s"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("retry 2/5 after 500, waiting 0.1 s"),
        "{notes:?}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert!(seen[0].starts_with("POST /v1/chat/completions"));
    assert!(seen[0].contains("Bearer sk-never-in-logs-123"));
    assert!(seen[0].contains("\"tools\""));
    assert!(seen[0].contains("\"seed\":7"));
}

#[test]
fn gives_up_after_its_retries_with_a_clear_error() {
    let (url, _) = mock(vec![http("503 Service Unavailable", "", "busy"); 3]);
    let notes = Notes::default();
    let started = Instant::now();
    let e = call(&provider(&url, 2, Duration::from_secs(5)), &notes)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gave up after 3 attempts; last: 503"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!e.contains("sk-never"));
}

#[test]
fn a_client_error_fails_at_once_quoting_the_answer() {
    let (url, seen) = mock(vec![http("401 Unauthorized", "", r#"{"error":"bad key"}"#)]);
    let e = call(
        &provider(&url, 5, Duration::from_secs(5)),
        &Notes::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("HTTP 401") && e.contains("bad key"), "{e}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn garbage_is_retried_then_reported() {
    let (url, _) = mock(vec![
        http("200 OK", "", "<html>not json"),
        http("200 OK", "", OK),
    ]);
    let notes = Notes::default();
    call(&provider(&url, 3, Duration::from_secs(5)), &notes).unwrap();
    assert!(notes.0.lock().unwrap()[0].contains("not JSON"));
}

#[test]
fn a_hanging_server_times_out() {
    let (url, _) = mock(vec!["HANG".into(), "HANG".into()]);
    let started = Instant::now();
    let e = call(
        &provider(&url, 1, Duration::from_millis(300)),
        &Notes::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(e.contains("gave up after 2 attempts"), "{e}");
}

#[test]
fn the_key_is_hidden_from_debug() {
    let p = provider("http://127.0.0.1:9", 0, Duration::from_secs(1));
    assert!(!format!("{p:?}").contains("sk-never"));
}
