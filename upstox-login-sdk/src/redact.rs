//! What of a server's words an error may show.
//!
//! Errors show only parts the crate chose (the operation, the status, an
//! error code, its own advice) and one thing the server wrote: the message
//! of a parsed error envelope, and only as [`Redactor::shown`] lets it
//! through. A gateway can echo what it was sent in any encoding, so rather
//! than look for every encoding of a secret, a message is dropped when it
//! holds a control or format character, cut to [`MAX_SHOWN`] characters,
//! and loses every run of [`TOKEN_RUN`] or more characters a token (or an
//! escape of one) is made of; the secrets the call sent are also replaced
//! in the spellings `find` knows, for the short or spaced ones a run does
//! not catch.

mod find;

const REDACTED: &str = "[redacted]";

/// The shortest run of token characters a shown message never keeps.
const TOKEN_RUN: usize = 16;

/// The most characters of a server's message an error shows.
pub(crate) const MAX_SHOWN: usize = 200;

/// Decides what of a server's message an error may show, knowing the
/// secrets the call sent. Made on every call; does nothing until an error
/// needs it.
#[derive(Default)]
pub(crate) struct Redactor<'a> {
    secrets: &'a [&'a str],
}

impl<'a> Redactor<'a> {
    /// A redactor for the given secrets (empty ones are ignored).
    pub(crate) fn new(secrets: &'a [&'a str]) -> Self {
        Self { secrets }
    }

    /// `text` as an error may show it, or `None` when it may not be shown
    /// at all (a control or format character: escapes, NULs of UTF-16,
    /// reordering marks). Bounded, the secrets sent replaced, no token run.
    pub(crate) fn shown(&self, text: &str) -> Option<String> {
        shown(text, self.secrets)
    }
}

/// See [`Redactor::shown`]; with no secrets, for text of no call (a
/// callback's `error_description`).
pub(crate) fn shown(text: &str, secrets: &[&str]) -> Option<String> {
    if text.chars().any(is_hidden) {
        return None;
    }
    let secrets: Vec<&[u8]> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_bytes())
        .collect();
    let text = if secrets.is_empty() {
        text.to_owned()
    } else {
        replace(text, find::spans(text.as_bytes(), &secrets))
    };
    let text = blank_token_runs(&text);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    })
}

/// A character that is not shown as itself: controls, and the format
/// characters that reorder or hide text (bidi marks, zero-width ones).
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_sent_secrets_in_any_spelling() {
        let r = Redactor::new(&["s3cr et/+", "code1"]);
        let out = r.shown("echo s3cr et/+ and s3cr+et%2F%2B and code1");
        assert_eq!(
            out.as_deref(),
            Some("echo [redacted] and [redacted] and [redacted]")
        );
    }

    #[test]
    fn keeps_no_run_long_enough_to_be_a_token() {
        assert_eq!(
            shown(
                "banned (ray 7d3f2a1b9c8e4f56-BOM); token=eyJhbGciOi.J9.x then",
                &[]
            )
            .as_deref(),
            Some("banned (ray [redacted]); [redacted] then")
        );
        // A run around a secret already replaced becomes one marker.
        assert_eq!(
            shown(
                "(a=s3cr3t&b=eyJhbGciOiJIUzI1NiJ9) secret=s3cr3t",
                &["s3cr3t"]
            )
            .as_deref(),
            Some("([redacted]) secret=[redacted]")
        );
        assert_eq!(
            shown("abcdefghijklmno", &[]).as_deref(),
            Some("abcdefghijklmno")
        );
    }

    #[test]
    fn drops_text_with_hidden_characters_and_bounds_the_rest() {
        assert_eq!(shown("a\u{0}b", &[]), None);
        assert_eq!(shown("a\u{1b}[2J", &[]), None);
        assert_eq!(shown("abc\u{202e}fed", &[]), None);
        assert_eq!(shown("   ", &[]), None);
        let long = "word ".repeat(100);
        let out = shown(&long, &[]).expect("shown");
        assert_eq!(out.chars().count(), MAX_SHOWN + 1);
        assert!(out.ends_with('…'));
    }
}
