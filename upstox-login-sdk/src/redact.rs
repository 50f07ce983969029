//! What of a server's words an error may show.
//!
//! Errors show only parts the crate chose (the operation, the status, an
//! error code, its own advice) and one thing the server wrote: the message
//! of a parsed error envelope, and only as [`Redactor::shown`] lets it
//! through. A gateway can echo what it was sent in any encoding, so rather
//! than look for every encoding of a secret, a message is shown only when
//! it is plain ASCII text (Upstox's messages are), and then:
//!
//! - not at all when its letters and digits, lower-cased and read either
//!   way, spell those of a secret the call sent (upper-case, spaced,
//!   reversed or quoted-printable spellings);
//! - with the secrets sent replaced in the spellings `find` knows, and
//!   every run of [`TOKEN_RUN`] or more token characters, or of
//!   [`MIXED_RUN`] or more letters and digits mixed, blanked: what a token
//!   or an encoding of one (hex, base32, base64) looks like;
//! - cut to [`MAX_SHOWN`] characters.

mod find;

const REDACTED: &str = "[redacted]";

/// The shortest run of token characters a shown message never keeps.
const TOKEN_RUN: usize = 16;

/// The shortest run of letters and digits, both present, a shown message
/// never keeps: an encoded short secret (base32 of a 9-byte code is 15).
const MIXED_RUN: usize = 10;

/// A secret with fewer letters and digits than this is not looked for by
/// its skeleton (it would match ordinary words).
const MIN_SKELETON: usize = 5;

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
    if !text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
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
    let spelled = skeleton(&quoted_printable_decoded(&text));
    let spells_a_secret = secrets.iter().any(|secret| {
        let secret = skeleton(&String::from_utf8_lossy(secret));
        let reversed: String = secret.chars().rev().collect();
        secret.len() >= MIN_SKELETON && (spelled.contains(&secret) || spelled.contains(&reversed))
    });
    if spells_a_secret {
        return None;
    }
    let text = blank_mixed_runs(&blank_token_runs(&text));
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(match text.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    })
}

/// The letters and digits of `text`, lower-cased: what is left of a
/// secret spelled in another case, or with anything between its characters.
fn skeleton(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `text` with quoted-printable escapes (`=3D`) decoded.
fn quoted_printable_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every run of [`MIXED_RUN`] or more ASCII letters and digits
/// that holds both (other than an Upstox error code) replaced by `[redacted]`.
fn blank_mixed_runs(text: &str) -> String {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    for i in 0..=bytes.len() {
        if bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let run = &bytes[start..i];
        let mixed = run.iter().any(u8::is_ascii_digit) && run.iter().any(u8::is_ascii_alphabetic);
        let code = std::str::from_utf8(run).is_ok_and(crate::ErrorCode::is_upstox_shaped);
        if run.len() >= MIXED_RUN && mixed && !code {
            spans.push(start..i);
        }
        start = i + 1;
    }
    replace(text, spans)
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
    fn drops_a_message_that_spells_a_secret_sent() {
        for echo in [
            "bad C0DE/+&=Z here",
            "bad z=&+/ed0c here",
            "bad c0de/+&=3Dz here",
            "bad c 0 d e / + & = z here",
        ] {
            assert_eq!(shown(echo, &["c0de/+&=z"]), None, "{echo}");
        }
        assert_eq!(
            shown("the code is wrong", &["c0de/+&=z"]).as_deref(),
            Some("the code is wrong")
        );
    }

    #[test]
    fn blanks_mixed_runs_of_letters_and_digits() {
        assert_eq!(
            shown("bad mmygizjpfmtd26q here, UDAPI100069", &[]).as_deref(),
            Some("bad [redacted] here, UDAPI100069")
        );
        assert_eq!(
            shown("authorization failed", &[]).as_deref(),
            Some("authorization failed")
        );
    }

    #[test]
    fn drops_text_with_hidden_characters_and_bounds_the_rest() {
        assert_eq!(shown("a\u{ad}b", &[]), None);
        assert_eq!(shown("ｃ０ｄｅ", &[]), None);
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
