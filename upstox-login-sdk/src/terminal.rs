//! Text from the network, made safe to print in a terminal.
//!
//! A server, or any local process that reaches the loopback listener, can
//! put control sequences in what it sends: printed as they are, they clear
//! the screen, retitle the window or fake output in the person's terminal.
//! Every `Display` of this crate's errors and events shows what came from
//! the network through [`escape`]. Fields you print yourself (an
//! [`ApiError`](crate::ApiError)'s `body`, a session's user name) are as
//! received: print them through [`escape`] too.

use std::fmt;

/// `text`, displayed with every control character (C0, newline and tab
/// included, DEL, C1) written as `\x1b` (`\u{9b}` above `0x7f`), and the
/// bidirectional controls that reorder what a terminal shows (U+061C,
/// U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) as `\u{202e}`.
/// Everything else is shown as it is.
///
/// ```
/// use upstox_login_sdk::terminal::escape;
///
/// assert_eq!(escape("a\u{1b}[2Jb\u{9b}").to_string(), r"a\x1b[2Jb\u{9b}");
/// ```
pub fn escape(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Text escaped when displayed: see [`escape`].
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(is_unsafe) {
            f.write_str(&rest[..at])?;
            let Some(c) = rest[at..].chars().next() else {
                break;
            };
            if c.is_ascii() {
                write!(f, "\\x{:02x}", u32::from(c))?;
            } else {
                write!(f, "\\u{{{:x}}}", u32::from(c))?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn controls_and_bidi_overrides_are_shown_escaped() {
        assert_eq!(
            escape("\u{0}a\tb\nc\u{7f}\u{85}d\u{202e}e\u{2069}é").to_string(),
            r"\x00a\x09b\x0ac\x7f\u{85}d\u{202e}e\u{2069}é"
        );
        assert_eq!(
            escape("plain text, ünïcødé").to_string(),
            "plain text, ünïcødé"
        );
        assert_eq!(escape("").to_string(), "");
    }
}
