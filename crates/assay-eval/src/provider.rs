//! Model providers: one blocking [`Provider`] trait, a replay provider for tests and demos,
//! OpenAI-compatible chat completions with tool calling, and Anthropic Messages with tool use.
//!
//! Keys come from the environment and live only in the provider (its `Debug` hides them);
//! nothing here writes them anywhere. Rate limits and server errors are retried with
//! exponential backoff (or the server's `Retry-After`), each retry announced through
//! [`Reporter::note`] so a waiting run never looks stuck; every call has a timeout.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use assay_core::Reporter;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{EvalError, Result, read_bounded};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// A tool call requested by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

/// A tool offered to the model.
#[derive(Debug, Clone, Serialize)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: Value,
}

/// One model answer.
#[derive(Debug, Clone, Serialize)]
pub struct Generation {
    pub message: Message,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The model version the provider reported.
    pub model_version: Option<String>,
}

/// What a provider knows about the call it is serving.
pub struct CallContext<'a> {
    pub task_id: &'a str,
    pub epoch: u32,
    pub reporter: &'a dyn Reporter,
}

/// A model. Blocking; shared by the run's worker threads.
pub trait Provider: Send + Sync {
    /// `kind:model`, for logs.
    fn name(&self) -> String;
    /// Generation settings worth recording (temperature, seed, ...).
    fn settings(&self) -> Value {
        Value::Null
    }
    fn generate(
        &self,
        ctx: &CallContext,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<Generation>;
}

// ---- replay ----

/// A scripted turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayTurn {
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub tool_calls: Vec<ReplayCall>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayCall {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayFile {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    tasks: BTreeMap<String, Vec<ReplayTurn>>,
    #[serde(default)]
    default: Vec<ReplayTurn>,
}

/// Plays scripted turns per task id. In a string argument, `{{last_output}}` becomes the
/// trimmed output of the most recent tool result, so a script can submit what its commands
/// really found in the sandbox.
#[derive(Debug, Clone)]
pub struct Replay {
    model: String,
    tasks: BTreeMap<String, Vec<ReplayTurn>>,
    default: Vec<ReplayTurn>,
}

/// Largest replay script read.
pub const MAX_REPLAY_BYTES: u64 = 16 << 20;

impl Replay {
    /// Reads a replay script (JSON, or TOML when the name ends in `.toml`).
    pub fn load(path: &Path) -> Result<Replay> {
        let bytes = read_bounded(path, MAX_REPLAY_BYTES)?;
        Replay::parse(&bytes, path)
    }

    /// Parses a replay script already read (JSON, or TOML when `path` ends in `.toml`);
    /// `path` names it in messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Replay> {
        let text = String::from_utf8_lossy(bytes);
        let file: ReplayFile = if path.extension().is_some_and(|e| e == "toml") {
            toml::from_str(&text).map_err(|e| {
                let line = e
                    .span()
                    .map(|s| crate::error::line_of(&text, s.start))
                    .unwrap_or(0);
                EvalError::invalid(
                    path.display(),
                    line,
                    "(replay)",
                    e.message().trim().to_string(),
                )
            })?
        } else {
            serde_json::from_str(&text).map_err(|e| {
                EvalError::invalid(path.display(), e.line(), "(replay)", e.to_string())
            })?
        };
        Ok(Replay {
            model: file.model.unwrap_or_else(|| "script".into()),
            tasks: file.tasks,
            default: file.default,
        })
    }
}

impl Provider for Replay {
    fn name(&self) -> String {
        format!("replay:{}", self.model)
    }

    fn generate(
        &self,
        ctx: &CallContext,
        messages: &[Message],
        _: &[ToolSpec],
    ) -> Result<Generation> {
        let script = self.tasks.get(ctx.task_id).unwrap_or(&self.default);
        let turn = messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .count();
        let last_output = messages
            .iter()
            .rev()
            .find(|m| m.role == Role::Tool)
            .map(|m| m.content.trim().to_string())
            .unwrap_or_default();
        let message = match script.get(turn) {
            None => Message::new(Role::Assistant, "(the replay script has no more turns)"),
            Some(t) => Message {
                role: Role::Assistant,
                content: t.content.clone(),
                tool_calls: t
                    .tool_calls
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ToolCall {
                        id: format!("call-{turn}-{i}"),
                        name: c.name.clone(),
                        arguments: substitute(&c.arguments, &last_output),
                    })
                    .collect(),
                tool_call_id: None,
            },
        };
        Ok(Generation {
            message,
            input_tokens: 0,
            output_tokens: 0,
            model_version: Some(format!("replay:{}", self.model)),
        })
    }
}

fn substitute(v: &Value, last: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("{{last_output}}", last)),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute(v, last)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| substitute(v, last)).collect()),
        other => other.clone(),
    }
}

// ---- OpenAI-compatible chat completions ----

/// Settings of an HTTP model provider (OpenAI-compatible or Anthropic).
#[derive(Clone)]
pub struct HttpConfig {
    /// e.g. `https://api.openai.com/v1` (`/chat/completions` is appended) or
    /// `https://api.anthropic.com` (`/v1/messages` is appended).
    pub base_url: String,
    pub model: String,
    pub api_key: String,
    pub temperature: Option<f64>,
    pub seed: Option<u64>,
    pub max_tokens: Option<u64>,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubles per retry, capped at `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Whole-call timeout.
    pub timeout: Duration,
}

/// The OpenAI-compatible provider's settings (the same as every HTTP provider's).
pub type OpenAiConfig = HttpConfig;

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &"(hidden)")
            .finish_non_exhaustive()
    }
}

impl HttpConfig {
    /// Defaults for `model` at `base_url`, the key read from the environment variable `key_env`.
    pub fn from_env(base_url: &str, model: &str, key_env: &str) -> Result<Self> {
        let api_key = std::env::var(key_env).map_err(|_| {
            EvalError::Provider(format!(
                "the environment variable {key_env} holds no API key; set it (or name another \
                 with --api-key-env)"
            ))
        })?;
        Ok(HttpConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            model: model.to_string(),
            api_key,
            temperature: None,
            seed: None,
            max_tokens: None,
            retries: 5,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(120),
        })
    }
}

/// Largest response body read.
pub const MAX_RESPONSE_BYTES: u64 = 8 << 20;

#[derive(Debug)]
pub struct OpenAi {
    cfg: OpenAiConfig,
    agent: ureq::Agent,
}

impl OpenAi {
    pub fn new(cfg: OpenAiConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        OpenAi { cfg, agent }
    }

    fn body(&self, messages: &[Message], tools: &[ToolSpec]) -> Value {
        let msgs: Vec<Value> = messages
            .iter()
            .map(|m| match m.role {
                Role::Assistant if !m.tool_calls.is_empty() => json!({
                    "role": "assistant",
                    "content": if m.content.is_empty() { Value::Null } else { Value::String(m.content.clone()) },
                    "tool_calls": m.tool_calls.iter().map(|c| json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments.to_string()},
                    })).collect::<Vec<_>>(),
                }),
                Role::Tool => json!({
                    "role": "tool",
                    "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
                    "content": m.content,
                }),
                role => json!({"role": role, "content": m.content}),
            })
            .collect();
        let mut body = json!({"model": self.cfg.model, "messages": msgs});
        if !tools.is_empty() {
            body["tools"] = tools
                .iter()
                .map(|t| {
                    json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
                })
                .collect();
        }
        if let Some(t) = self.cfg.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(s) = self.cfg.seed {
            body["seed"] = json!(s);
        }
        if let Some(m) = self.cfg.max_tokens {
            body["max_tokens"] = json!(m);
        }
        body
    }

    /// One HTTP attempt: Ok(answer), or Err((retryable, message, retry-after)).
    fn attempt(&self, body: &[u8]) -> std::result::Result<Generation, AttemptError> {
        let url = format!("{}/chat/completions", self.cfg.base_url);
        let resp = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.cfg.api_key))
            .content_type("application/json")
            .send(body);
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => return Err((true, format!("request failed: {e}"), None)),
        };
        let status = resp.status().as_u16();
        let retry_after = retry_after(&resp);
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| (true, format!("reading the response: {e}"), None))?;
        if status == 429 || status >= 500 {
            return Err((true, format!("{status}"), retry_after));
        }
        if status != 200 {
            return Err((
                false,
                format!("HTTP {status}: {}", assay_core::quote(&text, 300)),
                None,
            ));
        }
        parse_completion(&text).map_err(|m| (true, m, None))
    }
}

/// Parses a chat completion response.
pub fn parse_completion(text: &str) -> std::result::Result<Generation, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the answer is not JSON ({e}): {}",
            assay_core::quote(text, 120)
        )
    })?;
    let msg = v.pointer("/choices/0/message").ok_or_else(|| {
        format!(
            "no choices[0].message in the answer: {}",
            assay_core::quote(text, 120)
        )
    })?;
    let content = msg
        .get("content")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut tool_calls = Vec::new();
    if let Some(calls) = msg.get("tool_calls").and_then(Value::as_array) {
        for c in calls {
            let name = c
                .pointer("/function/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let raw = c
                .pointer("/function/arguments")
                .and_then(Value::as_str)
                .unwrap_or("{}");
            let arguments =
                serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
            tool_calls.push(ToolCall {
                id: c
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                name,
                arguments,
            });
        }
    }
    let usage = |k: &str| {
        v.pointer(&format!("/usage/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Generation {
        message: Message {
            role: Role::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
        },
        input_tokens: usage("prompt_tokens"),
        output_tokens: usage("completion_tokens"),
        model_version: v.get("model").and_then(Value::as_str).map(str::to_string),
    })
}

impl Provider for OpenAi {
    fn name(&self) -> String {
        format!("openai:{}", self.cfg.model)
    }

    fn settings(&self) -> Value {
        json!({"base_url": self.cfg.base_url, "temperature": self.cfg.temperature,
               "seed": self.cfg.seed, "max_tokens": self.cfg.max_tokens})
    }

    fn generate(
        &self,
        ctx: &CallContext,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<Generation> {
        let body = serde_json::to_vec(&self.body(messages, tools))
            .map_err(|e| EvalError::Provider(e.to_string()))?;
        with_retries(&self.name(), &self.cfg, ctx, || self.attempt(&body))
    }
}

/// One failed attempt: whether to retry, what happened (for the note and the final error)
/// and the server's `Retry-After`.
type AttemptError = (bool, String, Option<Duration>);

/// Calls `attempt` until it succeeds, fails for good, or the retries are spent; waits with
/// exponential backoff (or the server's `Retry-After`, both capped) between attempts and
/// announces each retry through the reporter.
fn with_retries(
    name: &str,
    cfg: &HttpConfig,
    ctx: &CallContext,
    mut attempt: impl FnMut() -> std::result::Result<Generation, AttemptError>,
) -> Result<Generation> {
    let total = cfg.retries + 1;
    let mut last = String::new();
    for n in 1..=total {
        match attempt() {
            Ok(g) => return Ok(g),
            Err((false, msg, _)) => {
                return Err(EvalError::Provider(format!("{name}: {msg}")));
            }
            Err((true, msg, after)) => {
                last = msg;
                if n == total {
                    break;
                }
                let backoff = cfg
                    .backoff
                    .saturating_mul(1 << (n - 1).min(16))
                    .min(cfg.max_backoff);
                let wait = after.map(|a| a.min(cfg.max_backoff)).unwrap_or(backoff);
                ctx.reporter.note(&format!(
                    "{name} (task {}): retry {n}/{} after {last}, waiting {:.1} s",
                    ctx.task_id,
                    cfg.retries,
                    wait.as_secs_f64()
                ));
                std::thread::sleep(wait);
            }
        }
    }
    Err(EvalError::Provider(format!(
        "{name}: gave up after {total} attempts; last: {last}"
    )))
}

fn retry_after(resp: &ureq::http::Response<ureq::Body>) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

// ---- Anthropic Messages ----

/// The Anthropic Messages API version sent in `anthropic-version`.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the Messages API; this is sent when none is configured.
pub const ANTHROPIC_DEFAULT_MAX_TOKENS: u64 = 4096;

/// Anthropic Messages with tool use: the system prompt goes in `system`, tools as `tools`
/// with `input_schema`, the model's calls come back as `tool_use` content blocks and their
/// results go back as `tool_result` blocks in the next user message. 429, 5xx and 529
/// (overloaded) are retried.
#[derive(Debug)]
pub struct Anthropic {
    cfg: HttpConfig,
    agent: ureq::Agent,
}

impl Anthropic {
    pub fn new(cfg: HttpConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Anthropic { cfg, agent }
    }

    /// The request body.
    pub fn body(&self, messages: &[Message], tools: &[ToolSpec]) -> Value {
        let mut system = Vec::new();
        let mut out: Vec<Value> = Vec::new();
        // Consecutive blocks of the same role merge into one message (the API wants user and
        // assistant turns to alternate; several tool results form one user turn).
        let mut push = |role: &str, blocks: Vec<Value>| {
            if let Some(last) = out.last_mut()
                && last["role"] == role
                && let Some(arr) = last["content"].as_array_mut()
            {
                arr.extend(blocks);
                return;
            }
            out.push(json!({"role": role, "content": blocks}));
        };
        for m in messages {
            match m.role {
                Role::System => system.push(m.content.clone()),
                Role::User => push("user", vec![json!({"type": "text", "text": m.content})]),
                Role::Tool => push(
                    "user",
                    vec![json!({
                        "type": "tool_result",
                        "tool_use_id": m.tool_call_id.clone().unwrap_or_default(),
                        "content": m.content,
                    })],
                ),
                Role::Assistant => {
                    let mut blocks = Vec::new();
                    if !m.content.is_empty() {
                        blocks.push(json!({"type": "text", "text": m.content}));
                    }
                    for c in &m.tool_calls {
                        let input = if c.arguments.is_object() {
                            c.arguments.clone()
                        } else {
                            json!({})
                        };
                        blocks.push(
                            json!({"type": "tool_use", "id": c.id, "name": c.name, "input": input}),
                        );
                    }
                    if blocks.is_empty() {
                        blocks.push(json!({"type": "text", "text": "(no answer)"}));
                    }
                    push("assistant", blocks);
                }
            }
        }
        let mut body = json!({
            "model": self.cfg.model,
            "max_tokens": self.cfg.max_tokens.unwrap_or(ANTHROPIC_DEFAULT_MAX_TOKENS),
            "messages": out,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if !tools.is_empty() {
            body["tools"] = tools
                .iter()
                .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
                .collect();
        }
        if let Some(t) = self.cfg.temperature {
            body["temperature"] = json!(t);
        }
        body
    }

    fn attempt(&self, body: &[u8]) -> std::result::Result<Generation, AttemptError> {
        let url = format!("{}/v1/messages", self.cfg.base_url);
        let resp = self
            .agent
            .post(&url)
            .header("x-api-key", &self.cfg.api_key)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .content_type("application/json")
            .send(body);
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) => return Err((true, format!("request failed: {e}"), None)),
        };
        let status = resp.status().as_u16();
        let after = retry_after(&resp);
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| (true, format!("reading the response: {e}"), None))?;
        match status {
            200 => parse_anthropic(&text).map_err(|m| (true, m, None)),
            429 => Err((true, "429 (rate limited)".into(), after)),
            529 => Err((true, "529 (overloaded)".into(), after)),
            s if s >= 500 => Err((true, format!("{s}"), after)),
            s => Err((
                false,
                format!("HTTP {s}: {}", assay_core::quote(&text, 300)),
                None,
            )),
        }
    }
}

/// Parses a Messages API response: text blocks join into the content, `tool_use` blocks
/// become tool calls; usage and the reported model are kept.
pub fn parse_anthropic(text: &str) -> std::result::Result<Generation, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the answer is not JSON ({e}): {}",
            assay_core::quote(text, 120)
        )
    })?;
    let blocks = v.get("content").and_then(Value::as_array).ok_or_else(|| {
        format!(
            "no content blocks in the answer: {}",
            assay_core::quote(text, 120)
        )
    })?;
    let mut content = String::new();
    let mut tool_calls = Vec::new();
    for b in blocks {
        match b.get("type").and_then(Value::as_str) {
            Some("text") => {
                if !content.is_empty() {
                    content.push('\n');
                }
                content.push_str(b.get("text").and_then(Value::as_str).unwrap_or(""));
            }
            Some("tool_use") => tool_calls.push(ToolCall {
                id: b
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                name: b
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                arguments: b.get("input").cloned().unwrap_or(Value::Null),
            }),
            _ => {} // thinking and other blocks are not part of the conversation we keep
        }
    }
    let usage = |k: &str| {
        v.pointer(&format!("/usage/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Generation {
        message: Message {
            role: Role::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
        },
        input_tokens: usage("input_tokens"),
        output_tokens: usage("output_tokens"),
        model_version: v.get("model").and_then(Value::as_str).map(str::to_string),
    })
}

impl Provider for Anthropic {
    fn name(&self) -> String {
        format!("anthropic:{}", self.cfg.model)
    }

    fn settings(&self) -> Value {
        json!({"base_url": self.cfg.base_url, "temperature": self.cfg.temperature,
               "max_tokens": self.cfg.max_tokens.unwrap_or(ANTHROPIC_DEFAULT_MAX_TOKENS),
               "anthropic_version": ANTHROPIC_VERSION})
    }

    fn generate(
        &self,
        ctx: &CallContext,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<Generation> {
        let body = serde_json::to_vec(&self.body(messages, tools))
            .map_err(|e| EvalError::Provider(e.to_string()))?;
        with_retries(&self.name(), &self.cfg, ctx, || self.attempt(&body))
    }
}
