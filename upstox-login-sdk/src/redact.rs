//! Keeping secrets out of error values.
//!
//! Error bodies are kept for diagnosis, but a gateway can echo what it was
//! sent (an `invalid_value` holding the code, say), and an undecodable
//! success body can hold a token. Every body an error keeps goes through a
//! [`Redactor`]: it replaces the secrets sent in the call (as sent, and
//! percent-encoded) and, in JSON, the values of secret-named fields.

use crate::error::{ApiErrorEntry, EXCERPT_BYTES};

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
#[derive(Default)]
pub(crate) struct Redactor {
    needles: Vec<String>,
}

impl Redactor {
    /// A redactor for the given secrets (empty ones are ignored).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut needles = Vec::new();
        for s in secrets.into_iter().filter(|s| !s.is_empty()) {
            let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            if encoded != s {
                needles.push(encoded);
            }
            let json = serde_json::to_string(s).unwrap_or_default();
            let json = json.trim_matches('"');
            if json != s && !json.is_empty() {
                needles.push(json.to_string());
            }
            needles.push(s.to_string());
        }
        // Longest first, so a secret containing another is replaced whole.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Self { needles }
    }

    fn replace(&self, mut text: String) -> String {
        for n in &self.needles {
            if text.contains(n.as_str()) {
                text = text.replace(n.as_str(), REDACTED);
            }
        }
        text
    }

    /// The body as text (lossy UTF-8), secrets redacted.
    pub(crate) fn text(&self, body: &[u8]) -> String {
        let scrubbed = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut value) => {
                if scrub(&mut value) {
                    value.to_string()
                } else {
                    String::from_utf8_lossy(body).into_owned()
                }
            }
            Err(_) => String::from_utf8_lossy(body).into_owned(),
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

    /// Error entries with secrets redacted from messages and values.
    pub(crate) fn entries(&self, entries: Vec<ApiErrorEntry>) -> Vec<ApiErrorEntry> {
        entries
            .into_iter()
            .map(|mut e| {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_sent_secrets_in_any_spelling() {
        let r = Redactor::new(["s3cr et/+", "code1"]);
        let out = r.text(b"echo s3cr et/+ and s3cr+et%2F%2B and code1");
        assert!(!out.contains("s3cr"), "{out}");
        assert!(!out.contains("code1"), "{out}");
    }

    #[test]
    fn scrubs_secret_fields_of_json() {
        let r = Redactor::default();
        let out = r.text(br#"{"a":{"access_token":"T0KEN"},"b":[{"code":"C0DE"}],"n":1}"#);
        assert!(!out.contains("T0KEN") && !out.contains("C0DE"), "{out}");
        assert!(out.contains("\"n\":1"));
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_a_char_boundary() {
        let body = "é".repeat(2000);
        let out = Redactor::default().excerpt(body.as_bytes());
        assert!(out.len() < EXCERPT_BYTES + 40);
    }
}
