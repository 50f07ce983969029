//! Keeping secrets out of error values.
//!
//! Errors keep what they can of an answer for diagnosis, but a gateway can
//! echo what it was sent (an `invalid_value` holding the code, say), in any
//! encoding, and an answer the SDK cannot decode can hold a token it never
//! saw. The rule, for every byte of an answer an error keeps:
//!
//! - The secrets the call sent (client secret, code, access token) are
//!   replaced in every spelling the SDK can name: as is, percent- and
//!   form-encoded, JSON-escaped, HTML entities (numeric and named), base64
//!   (standard and URL-safe, inside larger blobs too), and mixes of these
//!   (see `find`). This holds for everything kept: bodies, the envelope's
//!   fields, a Java exception's message, a redirect's `Location`.
//! - A body (or a decoder's message quoting one) may also hold secrets the
//!   SDK never sent and could not pick out: the values of secret-named JSON
//!   fields are blanked, and so is every run of 16 or more characters that
//!   a bearer token, or any of the spellings above of one, is made of
//!   (letters, digits, `-._~+/=` and the escapes' `%&#;\`). A token shorter
//!   than that would be too weak to be one. What is left is the body's
//!   shape and its words: enough to tell a CDN page from a gateway error.
//! - The fields the SDK decoded from the error envelope (code, message,
//!   property path, value) are kept, less the secrets sent; the same goes
//!   for the scheme, host and path of a `Location`, while its query and
//!   fragment are treated as a body.

mod find;

use crate::error::{ApiErrorEntry, ErrorCode, EXCERPT_BYTES};

/// JSON field names whose values are always secret.
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "accessToken",
    "extended_token",
    "extendedToken",
    "refresh_token",
    "refreshToken",
    "client_secret",
    "clientSecret",
    "code",
    "authorization",
    "Authorization",
];

const REDACTED: &str = "[redacted]";

/// The shortest run of token characters a body never keeps.
const TOKEN_RUN: usize = 16;

/// Replaces a call's secrets, and anything that could be a secret, in text
/// kept by errors. Made on every call; does nothing until an error needs it.
#[derive(Default)]
pub(crate) struct Redactor<'a> {
    secrets: &'a [&'a str],
}

impl<'a> Redactor<'a> {
    /// A redactor for the given secrets (empty ones are ignored).
    pub(crate) fn new(secrets: &'a [&'a str]) -> Self {
        Self { secrets }
    }

    /// A value the SDK decoded as a known field (an envelope's message, a
    /// Java exception's message): the secrets sent, in any spelling,
    /// replaced.
    pub(crate) fn field(&self, text: &str) -> String {
        let secrets: Vec<&[u8]> = self
            .secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_bytes())
            .collect();
        if secrets.is_empty() {
            return text.to_owned();
        }
        replace(text, find::spans(text.as_bytes(), &secrets))
    }

    /// A body as text (lossy UTF-8): the values of secret-named JSON fields
    /// blanked (textually, in a truncated or broken body: a cut-off token
    /// response still holds most of a token), the secrets sent replaced in
    /// any spelling, and every token-like run blanked.
    ///
    /// JSON is kept as sent unless a secret-named field needs blanking; then
    /// it is re-serialized.
    pub(crate) fn text(&self, body: &[u8]) -> String {
        let raw = String::from_utf8_lossy(body);
        let scrubbed = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut value) => {
                if scrub(&mut value) {
                    value.to_string()
                } else {
                    raw.into_owned()
                }
            }
            Err(_) => scrub_text(&raw).unwrap_or_else(|| raw.into_owned()),
        };
        blank_token_runs(&self.field(&scrubbed))
    }

    /// At most [`EXCERPT_BYTES`] of the body, redacted as [`text`](Self::text).
    pub(crate) fn excerpt(&self, body: &[u8]) -> String {
        let text = self.text(body);
        if text.len() <= EXCERPT_BYTES {
            return text;
        }
        let mut end = EXCERPT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} more bytes)", &text[..end], text.len() - end)
    }

    /// A redirect's `Location`: the secrets sent replaced throughout, and
    /// its query and fragment redacted as a body.
    pub(crate) fn location(&self, location: &str) -> String {
        let split = location.find(['?', '#']).unwrap_or(location.len());
        let (target, rest) = location.split_at(split);
        let mut out = self.field(target);
        out.push_str(&self.text(rest.as_bytes()));
        out
    }

    /// Error entries with the secrets sent redacted from codes, messages and
    /// values, and the value of a secret-named property blanked.
    pub(crate) fn entries(&self, entries: Vec<ApiErrorEntry>) -> Vec<ApiErrorEntry> {
        entries
            .into_iter()
            .map(|mut e| {
                // An unknown code is kept as sent, so it can echo anything.
                e.error_code = e.error_code.map(|c| match c {
                    ErrorCode::Other(code) => ErrorCode::Other(self.field(&code)),
                    known => known,
                });
                e.message = e.message.map(|m| self.field(&m));
                e.property_path = e.property_path.map(|m| self.field(&m));
                if let Some(mut value) = e.invalid_value.take() {
                    let secret_path = e
                        .property_path
                        .as_deref()
                        .is_some_and(|p| SECRET_FIELDS.iter().any(|f| p.ends_with(f)));
                    if secret_path {
                        value = serde_json::Value::String(REDACTED.into());
                    } else {
                        scrub(&mut value);
                        let text = self.field(&value.to_string());
                        value =
                            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
                    }
                    e.invalid_value = Some(value);
                }
                e
            })
            .collect()
    }
}

/// `text` with each of `spans` (byte ranges, possibly overlapping) replaced
/// by `[redacted]`.
fn replace(text: &str, mut spans: Vec<std::ops::Range<usize>>) -> String {
    if spans.is_empty() {
        return text.to_owned();
    }
    spans.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in spans {
        if span.end <= copied {
            continue;
        }
        let start = floor_boundary(text, span.start.max(copied));
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = ceil_boundary(text, span.end);
    }
    out.push_str(&text[copied..]);
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// A character of a bearer token (RFC 6750's `b64token`), or of a percent,
/// HTML-entity or JSON escape of one.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'%' | b'&' | b'#' | b';' | b'\\'
        )
}

/// `text` with every run of [`TOKEN_RUN`] or more token characters replaced
/// by `[redacted]`. A `[redacted]` already there joins the run around it
/// (without counting), so that a run is replaced by one marker.
fn blank_token_runs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let (mut start, mut count, mut i) = (0, 0, 0);
    while i <= bytes.len() {
        if bytes[i..].starts_with(REDACTED.as_bytes()) {
            i += REDACTED.len();
            continue;
        }
        match bytes.get(i) {
            Some(&b) if is_token_char(b) => count += 1,
            _ => {
                if count >= TOKEN_RUN {
                    spans.push(start..i);
                }
                (start, count) = (i + 1, 0);
            }
        }
        i += 1;
    }
    replace(text, spans)
}

/// Replaces the values of secret-named fields; returns whether it changed anything.
fn scrub(value: &mut serde_json::Value) -> bool {
    let mut changed = false;
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) && !v.is_null() {
                    *v = serde_json::Value::String(REDACTED.into());
                    changed = true;
                } else {
                    changed |= scrub(v);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                changed |= scrub(v);
            }
        }
        _ => {}
    }
    changed
}

/// For text that is not valid JSON: replaces the value after each
/// `"<secret field>"  :` (a string up to its closing quote or the end of the
/// text, anything else up to the next `,`, `}`, `]` or space) with
/// `"[redacted]"`. Returns `None` when there was nothing to replace.
fn scrub_text(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let Some(start) = secret_value_start(bytes, i) else {
            i += 1;
            continue;
        };
        let end = value_end(bytes, start);
        // `start` and `end` sit on ASCII bytes or the end: char boundaries.
        out.push_str(text.get(copied..start)?);
        out.push('"');
        out.push_str(REDACTED);
        out.push('"');
        copied = end;
        i = end.max(i + 1);
    }
    if copied == 0 {
        return None;
    }
    out.push_str(text.get(copied..)?);
    Some(out)
}

/// If a secret-named key opens at `quote`, where its value starts.
fn secret_value_start(bytes: &[u8], quote: usize) -> Option<usize> {
    let after = bytes.get(quote + 1..)?;
    let name = SECRET_FIELDS
        .iter()
        .find(|f| after.starts_with(f.as_bytes()) && after.get(f.len()) == Some(&b'"'))?;
    let colon = skip_space(bytes, quote + name.len() + 2);
    if bytes.get(colon) != Some(&b':') {
        return None;
    }
    Some(skip_space(bytes, colon + 1))
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Where the (possibly cut-off) JSON value starting at `start` ends.
fn value_end(bytes: &[u8], start: usize) -> usize {
    if bytes.get(start) == Some(&b'"') {
        let mut j = start + 1;
        while let Some(&b) = bytes.get(j) {
            match b {
                b'\\' => j += 2,
                b'"' => return j + 1,
                _ => j += 1,
            }
        }
        return bytes.len();
    }
    bytes
        .get(start..)
        .and_then(|rest| {
            rest.iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
        })
        .map_or(bytes.len(), |p| start + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_sent_secrets_in_any_spelling() {
        let r = Redactor::new(&["s3cr et/+", "code1"]);
        let out = r.field("echo s3cr et/+ and s3cr+et%2F%2B and code1");
        assert_eq!(out, "echo [redacted] and [redacted] and [redacted]");
    }

    #[test]
    fn replaces_lower_hex_entity_and_base64_spellings() {
        let secrets = ["a/b+c&d"];
        let r = Redactor::new(&secrets);
        let out = r.field("<p>a%2fb%2bc%26d and a/b+c&amp;d and &#x61;/b+c&#38;d, YS9iK2MmZA</p>");
        assert_eq!(
            out,
            "<p>[redacted] and [redacted] and [redacted], [redacted]</p>"
        );
    }

    #[test]
    fn scrubs_secret_fields_of_json() {
        let r = Redactor::default();
        let out = r.text(br#"{"a":{"access_token":"T0KEN"},"b":[{"code":"C0DE"}],"n":1}"#);
        assert!(!out.contains("T0KEN") && !out.contains("C0DE"), "{out}");
        assert!(out.contains("\"n\":1"));
    }

    #[test]
    fn scrubs_secret_fields_of_broken_json() {
        let r = Redactor::default();
        let out = r.text(
            br#"{"user":"u","access_token" : "T0K\"EN","code":12,"x":1,"refresh_token":"R3F"#,
        );
        assert_eq!(
            out,
            r#"{"user":"u","access_token" : "[redacted]","code":"[redacted]","x":1,"refresh_token":"[redacted]""#
        );
        assert_eq!(r.text(b"{\"code\":"), "{\"code\":\"[redacted]\"");
        assert_eq!(r.text(b"<p>\"code\" is 1</p>"), "<p>\"code\" is 1</p>");
    }

    #[test]
    fn finds_secrets_behind_json_escapes() {
        let r = Redactor::new(&["a&b/c"]);
        assert_eq!(r.text(br#"{"v":"a\u0026b\/c"}"#), r#"{"v":"[redacted]"}"#);
        // Nothing to redact: the body is kept byte for byte.
        assert_eq!(r.text(br#"{ "v" : "x\/y" }"#), r#"{ "v" : "x\/y" }"#);
    }

    #[test]
    fn a_body_keeps_no_run_long_enough_to_be_a_token() {
        let r = Redactor::default();
        assert_eq!(
            r.text(b"Error 1010: banned (ray 7d3f2a1b9c8e4f56-BOM); token=eyJhbGciOi.J9.x then"),
            "Error 1010: banned (ray [redacted]); [redacted] then"
        );
        // A run around a secret already replaced becomes one marker.
        assert_eq!(
            Redactor::new(&["s3cr3t"]).text(b"(a=s3cr3t&b=eyJhbGciOiJIUzI1NiJ9) secret=s3cr3t"),
            "([redacted]) secret=[redacted]"
        );
        // Fifteen is kept; a field the SDK decoded keeps everything.
        assert_eq!(r.text(b"abcdefghijklmno"), "abcdefghijklmno");
        assert_eq!(
            r.field("abcdefghijklmnopqrstuvwxyz"),
            "abcdefghijklmnopqrstuvwxyz"
        );
    }

    #[test]
    fn a_location_keeps_its_target_less_the_secrets_sent() {
        let r = Redactor::new(&["c0de"]);
        assert_eq!(
            r.location("https://api-v2.upstox.com/login/authorization/c0de?x=eyJhbGciOiJIUzI1NiJ9&y=1#frag"),
            "https://api-v2.upstox.com/login/authorization/[redacted]?[redacted]"
        );
        assert_eq!(r.location("/elsewhere?y=1#top"), "/elsewhere?y=1#top");
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_a_char_boundary() {
        let body = "é ".repeat(2000);
        let out = Redactor::default().excerpt(body.as_bytes());
        assert!(out.len() < EXCERPT_BYTES + 40);
    }
}
