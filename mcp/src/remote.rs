//! `engram mcp --remote URL`: a client that speaks MCP only over stdio reaches a running
//! `engram serve` (or any MCP server over Streamable HTTP): each message read on stdin is
//! POSTed to the server, and what it answers (one JSON message, or a stream of server-sent
//! events) is written to stdout, one message a line. The session id and protocol version the
//! server gives at `initialize` go with every later request; a stream the server opens for
//! notifications (`GET`) is relayed too; at the end of stdin the session is closed (`DELETE`).
//! Requests run at once, each on its own thread, so a long call does not hold up a ping or a
//! cancellation. The token, if any, comes from the environment, never the command line.

use crate::Error;
use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};

/// What every request of the relay shares.
struct Relay {
    url: String,
    token: Option<String>,
    agent: ureq::Agent,
    /// `Mcp-Session-Id` and `MCP-Protocol-Version`, once `initialize` gave them.
    session: Mutex<(Option<String>, Option<String>)>,
    out: Mutex<std::io::Stdout>,
}

/// Relays stdio to the MCP endpoint `url` until stdin ends, with `token` as a bearer token.
pub fn relay_stdio(url: &str, token: Option<String>) -> Result<(), Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let relay = Arc::new(Relay {
        url: url.to_string(),
        token,
        agent,
        session: Mutex::new((None, None)),
        out: Mutex::new(std::io::stdout()),
    });
    let mut listening = false;
    let mut threads = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| transport("reading stdin", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let message: Option<Json> = serde_json::from_str(&line).ok();
        let method = message
            .as_ref()
            .and_then(|m| m["method"].as_str().map(str::to_string));
        if method.as_deref() == Some("initialize") {
            // At once: what follows needs the session it opens.
            relay.post(&line, message.as_ref());
            continue;
        }
        if method.as_deref() == Some("notifications/initialized") && !listening {
            listening = true;
            relay.post(&line, message.as_ref());
            let r = relay.clone();
            std::thread::spawn(move || r.listen());
            continue;
        }
        let r = relay.clone();
        threads.push(std::thread::spawn(move || r.post(&line, message.as_ref())));
        threads.retain(|t| !t.is_finished());
    }
    for t in threads {
        let _ = t.join();
    }
    relay.close();
    Ok(())
}

fn transport(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Transport {
        what,
        source: Box::new(e),
    }
}

impl Relay {
    /// A request to the endpoint with the headers every one carries.
    fn headers<B>(&self, mut request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        request = request.header("Accept", "application/json, text/event-stream");
        if let Some(token) = &self.token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = &session.0 {
            request = request.header("Mcp-Session-Id", id);
        }
        if let Some(version) = &session.1 {
            request = request.header("MCP-Protocol-Version", version);
        }
        request
    }

    /// POSTs one message and writes what the server answers; a request the server refuses
    /// is answered with a JSON-RPC error, so the client is not left waiting.
    fn post(&self, line: &str, message: Option<&Json>) {
        let request = self
            .headers(self.agent.post(&self.url))
            .content_type("application/json");
        let id = message.and_then(|m| m.get("id").filter(|_| m.get("method").is_some()));
        let response = match request.send(line) {
            Ok(r) => r,
            Err(e) => return self.fail(id, &format!("{}: {e}", self.url)),
        };
        let status = response.status();
        let header = |name: &str| {
            let value = response.headers().get(name);
            value.and_then(|v| v.to_str().ok()).map(str::to_string)
        };
        let (session, kind) = (header("mcp-session-id"), header("content-type"));
        if status.as_u16() == 202 {
            return;
        }
        let mut body = response.into_body();
        if !status.is_success() {
            let text = body.read_to_string().unwrap_or_default();
            let detail = serde_json::from_str::<Json>(&text).ok();
            let detail = (detail.as_ref())
                .and_then(|d| d["detail"].as_str().or(d["error"]["message"].as_str()))
                .map_or(text.clone(), str::to_string);
            return self.fail(id, &format!("{} answered {status}: {detail}", self.url));
        }
        let initializing = message.is_some_and(|m| m["method"] == "initialize");
        let mut on_message = |m: &str| {
            if initializing {
                self.initialized(session.clone(), m);
            }
            self.write(m);
        };
        let stream = kind.is_some_and(|k| k.starts_with("text/event-stream"));
        let read = match stream {
            true => events(body.as_reader(), &mut on_message),
            false => {
                let mut text = String::new();
                (body.as_reader().read_to_string(&mut text)).map(|_| on_message(&text))
            }
        };
        if let Err(e) = read {
            self.fail(id, &format!("reading the answer of {}: {e}", self.url));
        }
    }

    /// Keeps the session id and the protocol version that `initialize` answered.
    fn initialized(&self, id: Option<String>, answer: &str) {
        let version = serde_json::from_str::<Json>(answer)
            .ok()
            .and_then(|a| a["result"]["protocolVersion"].as_str().map(str::to_string));
        let mut session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        if id.is_some() {
            session.0 = id;
        }
        if version.is_some() {
            session.1 = version;
        }
    }

    /// Relays the stream of the server's own messages (notifications), if it offers one.
    fn listen(&self) {
        let request = self.headers(self.agent.get(&self.url));
        let Ok(response) = request.call() else {
            return;
        };
        if response.status().is_success() {
            let mut body = response.into_body();
            let _ = events(body.as_reader(), &mut |m: &str| self.write(m));
        }
    }

    /// Ends the session the server keeps, if it keeps one.
    fn close(&self) {
        if self
            .session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .is_some()
        {
            let _ = self.headers(self.agent.delete(&self.url)).call();
        }
    }

    /// Writes one message to the client, on a line of its own.
    fn write(&self, message: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let one_line = message.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "{}", one_line.trim()).and_then(|_| out.flush());
    }

    /// Tells the client its request failed (and the user, on stderr).
    fn fail(&self, id: Option<&Json>, why: &str) {
        eprintln!("engram mcp --remote: {why}");
        if let Some(id) = id {
            let error = serde_json::json!({
                "jsonrpc": "2.0", "id": id, "error": {"code": -32000, "message": why}
            });
            self.write(&error.to_string());
        }
    }
}

/// Reads server-sent events, giving the data of each `message` event (lines of `data:`
/// joined) to `each`.
fn events(body: impl Read, each: &mut dyn FnMut(&str)) -> std::io::Result<()> {
    let mut data = String::new();
    let mut kind = String::new();
    for line in BufReader::new(body).lines() {
        let line = line?;
        if line.is_empty() {
            if !data.is_empty() && (kind.is_empty() || kind == "message") {
                each(&data);
            }
            data.clear();
            kind.clear();
        } else if let Some(d) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(d.strip_prefix(' ').unwrap_or(d));
        } else if let Some(e) = line.strip_prefix("event:") {
            kind = e.trim().to_string();
        }
    }
    if !data.is_empty() && (kind.is_empty() || kind == "message") {
        each(&data);
    }
    Ok(())
}
