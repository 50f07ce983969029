//! Keeping secrets out of error values.
//!
//! Error bodies are kept for diagnosis, but a gateway can echo what it was
//! sent (an `invalid_value` holding the code, say), and an undecodable
//! success body can hold a token. Every body an error keeps goes through a
//! [`Redactor`]: it replaces the secrets sent in the call (as sent, and
//! percent-encoded) and, in JSON, the values of secret-named fields.

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

/// Replaces a call's secrets in text kept by errors.
///
/// Made on every call, but does nothing until an error needs it: the
/// spellings to search for are worked out on first use.
#[derive(Default)]
pub(crate) struct Redactor<'a> {
    secrets: &'a [&'a str],
    needles: std::sync::OnceLock<Vec<String>>,
}

impl<'a> Redactor<'a> {
    /// A redactor for the given secrets (empty ones are ignored).
    pub(crate) fn new(secrets: &'a [&'a str]) -> Self {
        Self {
            secrets,
            needles: std::sync::OnceLock::new(),
        }
    }

    /// Every spelling of every secret, longest first, so a secret containing
    /// another is replaced whole.
    fn needles(&self) -> &[String] {
        self.needles.get_or_init(|| {
            let mut needles = Vec::new();
            for s in self.secrets.iter().copied().filter(|s| !s.is_empty()) {
                let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
                // Percent-encoding with lower-case hex, and HTML escaping (an
                // error page echoing the form).
                for variant in [
                    lower_hex(&encoded),
                    lower_hex(&encoded.replace('+', "%20")),
                    html_escape(s),
                ] {
                    if variant != s && variant != encoded && !needles.contains(&variant) {
                        needles.push(variant);
                    }
                }
                if encoded != s {
                    // The path/query spelling of a space (`%20`) as well as the form one (`+`).
                    if encoded.contains('+') {
                        needles.push(encoded.replace('+', "%20"));
                    }
                    needles.push(encoded);
                }
                let json = serde_json::to_string(s).unwrap_or_default();
                let json = json.trim_matches('"');
                if json != s && !json.is_empty() {
                    needles.push(json.to_string());
                }
                needles.push(s.to_string());
            }
            needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
            needles
        })
    }

    fn replace(&self, mut text: String) -> String {
        for n in self.needles() {
            if text.contains(n.as_str()) {
                text = text.replace(n.as_str(), REDACTED);
            }
        }
        text
    }

    /// The body as text (lossy UTF-8), secrets redacted.
    ///
    /// JSON is kept as sent unless it needs redacting; then it is
    /// re-serialized, which also undoes escapes (`\u0026`, `\/`) that would
    /// hide a secret from a plain search. Anything else (a truncated or
    /// otherwise broken body) has the values of secret-named keys blanked
    /// textually: a cut-off token response still holds most of a token.
    pub(crate) fn text(&self, body: &[u8]) -> String {
        let raw = String::from_utf8_lossy(body);
        let scrubbed = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut value) => {
                let changed = scrub(&mut value);
                let canonical = value.to_string();
                if changed
                    || self
                        .needles()
                        .iter()
                        .any(|n| canonical.contains(n.as_str()))
                {
                    canonical
                } else {
                    raw.into_owned()
                }
            }
            Err(_) => scrub_text(&raw).unwrap_or_else(|| raw.into_owned()),
        };
        self.replace(scrubbed)
    }

    /// At most [`EXCERPT_BYTES`] of the body, secrets redacted.
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

    /// Error entries with secrets redacted from codes, messages and values.
    pub(crate) fn entries(&self, entries: Vec<ApiErrorEntry>) -> Vec<ApiErrorEntry> {
        entries
            .into_iter()
            .map(|mut e| {
                // An unknown code is kept as sent, so it can echo anything.
                e.error_code = e.error_code.map(|c| match c {
                    ErrorCode::Other(code) => ErrorCode::Other(self.replace(code)),
                    known => known,
                });
                e.message = e.message.map(|m| self.replace(m));
                e.property_path = e.property_path.map(|m| self.replace(m));
                if let Some(mut value) = e.invalid_value.take() {
                    let secret_path = e
                        .property_path
                        .as_deref()
                        .is_some_and(|p| SECRET_FIELDS.iter().any(|f| p.ends_with(f)));
                    if secret_path {
                        value = serde_json::Value::String(REDACTED.into());
                    } else {
                        scrub(&mut value);
                        let text = self.replace(value.to_string());
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

/// `%2F` → `%2f` throughout.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut after_percent = 0;
    for c in encoded.chars() {
        if c == '%' {
            after_percent = 2;
            out.push(c);
        } else if after_percent > 0 {
            after_percent -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
        let out = r.text(b"echo s3cr et/+ and s3cr+et%2F%2B and code1");
        assert!(!out.contains("s3cr"), "{out}");
        assert!(!out.contains("code1"), "{out}");
    }

    #[test]
    fn replaces_lower_hex_and_html_escaped_spellings() {
        let secrets = ["a/b+c&d"];
        let r = Redactor::new(&secrets);
        let out = r.text(b"<p>a%2fb%2bc%26d and a/b+c&amp;d</p>");
        assert!(!out.contains("a%2fb") && !out.contains("c&amp;d"), "{out}");
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
    fn undoes_json_escapes_that_hide_a_secret() {
        let r = Redactor::new(&["a&b/c"]);
        let out = r.text(br#"{"v":"a\u0026b\/c"}"#);
        assert_eq!(out, r#"{"v":"[redacted]"}"#);
        // Nothing to redact: the body is kept byte for byte.
        assert_eq!(r.text(br#"{ "v" : "x\/y" }"#), r#"{ "v" : "x\/y" }"#);
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_a_char_boundary() {
        let body = "é".repeat(2000);
        let out = Redactor::default().excerpt(body.as_bytes());
        assert!(out.len() < EXCERPT_BYTES + 40);
    }
}
