//! Finding a secret in text in any spelling the SDK can name: as is,
//! percent- or form-encoded, JSON-escaped, as HTML entities (decimal or hex
//! numeric, and named), any mix of these character by character, and in
//! base64 (standard or URL-safe, alone or inside a larger blob, its
//! characters and its content in any of those spellings).
//!
//! The text is read as a sequence of *units*: a byte as it is, or an escape
//! (`%2F`, `+`, `\u0026`, `\/`, `&#x2F;`, `&#47;`, `&sol;`) standing for one
//! character. A secret is spelled at a position when some sequence of
//! units from there decodes to its bytes.

use std::collections::HashSet;
use std::ops::Range;

/// How many levels of base64 are decoded: one (base64 of base64 is not
/// looked into; in a body, a run that long is blanked anyway).
const MAX_DEPTH: u8 = 1;

/// Named HTML entities of the ASCII characters, as HTML5 spells them (and
/// the legacy upper-case four).
const NAMED: &[(&str, u8)] = &[
    ("amp", b'&'),
    ("AMP", b'&'),
    ("lt", b'<'),
    ("LT", b'<'),
    ("gt", b'>'),
    ("GT", b'>'),
    ("quot", b'"'),
    ("QUOT", b'"'),
    ("apos", b'\''),
    ("Tab", b'\t'),
    ("NewLine", b'\n'),
    ("excl", b'!'),
    ("num", b'#'),
    ("dollar", b'$'),
    ("percnt", b'%'),
    ("lpar", b'('),
    ("rpar", b')'),
    ("ast", b'*'),
    ("midast", b'*'),
    ("plus", b'+'),
    ("comma", b','),
    ("period", b'.'),
    ("sol", b'/'),
    ("colon", b':'),
    ("semi", b';'),
    ("equals", b'='),
    ("quest", b'?'),
    ("commat", b'@'),
    ("lsqb", b'['),
    ("lbrack", b'['),
    ("bsol", b'\\'),
    ("rsqb", b']'),
    ("rbrack", b']'),
    ("Hat", b'^'),
    ("lowbar", b'_'),
    ("UnderBar", b'_'),
    ("grave", b'`'),
    ("DiacriticalGrave", b'`'),
    ("lcub", b'{'),
    ("lbrace", b'{'),
    ("verbar", b'|'),
    ("vert", b'|'),
    ("VerticalLine", b'|'),
    ("rcub", b'}'),
    ("rbrace", b'}'),
];

/// The byte ranges of `text` that spell one of `secrets` (none empty).
/// Each range starts and ends on a character boundary of valid UTF-8 text.
pub(super) fn spans(text: &[u8], secrets: &[&[u8]]) -> Vec<Range<usize>> {
    spans_within(text, secrets, 0)
}

fn spans_within(text: &[u8], secrets: &[&[u8]], depth: u8) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    for start in 0..text.len() {
        for secret in secrets {
            if let Some(end) = spelled_at(text, start, secret) {
                found.push(start..end);
            }
        }
    }
    if depth < MAX_DEPTH {
        for run in base64_runs(text) {
            if decodes_to_a_secret(&run.sextets, secrets, depth) {
                found.push(run.span);
            }
        }
    }
    found
}

/// One unit: how many bytes of the text it takes, and what it stands for.
#[derive(Clone, Copy)]
struct Unit {
    len: usize,
    bytes: [u8; 4],
    n: usize,
}

impl Unit {
    fn byte(len: usize, b: u8) -> Self {
        Unit {
            len,
            bytes: [b, 0, 0, 0],
            n: 1,
        }
    }

    fn char(len: usize, c: char) -> Self {
        let mut bytes = [0; 4];
        let n = c.encode_utf8(&mut bytes).len();
        Unit { len, bytes, n }
    }

    fn decoded(&self) -> &[u8] {
        &self.bytes[..self.n]
    }
}

/// The units that can start at `at`: the byte itself, and the escape that
/// starts there, if any.
fn units(text: &[u8], at: usize) -> [Option<Unit>; 2] {
    let Some(&b) = text.get(at) else {
        return [None, None];
    };
    [Some(Unit::byte(1, b)), escape(text, at)]
}

fn escape(text: &[u8], at: usize) -> Option<Unit> {
    let rest = text.get(at..)?;
    match rest.first()? {
        b'+' => Some(Unit::byte(1, b' ')),
        b'%' => Some(Unit::byte(3, hex_byte(rest.get(1..3)?)?)),
        b'\\' => json_escape(rest),
        b'&' => entity(rest),
        _ => None,
    }
}

fn hex_byte(two: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(two).ok()?;
    u8::from_str_radix(text, 16).ok()
}

/// `\n`, `\/`, `\u0026`, or a `\uD83D\uDE00` surrogate pair.
fn json_escape(rest: &[u8]) -> Option<Unit> {
    let simple = match rest.get(1)? {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => {
            let high = hex_u16(rest.get(2..6)?)?;
            if let Some(c) = char::from_u32(u32::from(high)) {
                return Some(Unit::char(6, c));
            }
            if rest.get(6..8)? != b"\\u" {
                return None;
            }
            let low = hex_u16(rest.get(8..12)?)?;
            let c = char::decode_utf16([high, low]).next()?.ok()?;
            return Some(Unit::char(12, c));
        }
        _ => return None,
    };
    Some(Unit::byte(2, simple))
}

fn hex_u16(four: &[u8]) -> Option<u16> {
    u16::from_str_radix(std::str::from_utf8(four).ok()?, 16).ok()
}

/// `&#65;`, `&#x41;`, `&#0065` (leading zeros, `;` optional), or `&amp;`.
fn entity(rest: &[u8]) -> Option<Unit> {
    if rest.get(1) == Some(&b'#') {
        let (radix, digits_at) = match rest.get(2) {
            Some(b'x' | b'X') => (16, 3),
            _ => (10, 2),
        };
        let digits = rest
            .get(digits_at..)?
            .iter()
            .take_while(|b| char::from(**b).is_digit(radix))
            .count();
        if digits == 0 {
            return None;
        }
        let mut value: u32 = 0;
        for b in &rest[digits_at..digits_at + digits] {
            let digit = char::from(*b).to_digit(radix)?;
            value = value.saturating_mul(radix).saturating_add(digit);
        }
        let mut len = digits_at + digits;
        if rest.get(len) == Some(&b';') {
            len += 1;
        }
        return Some(Unit::char(len, char::from_u32(value)?));
    }
    NAMED.iter().find_map(|(name, b)| {
        let after = rest.get(1..)?.strip_prefix(name.as_bytes())?;
        (after.first() == Some(&b';')).then(|| Unit::byte(name.len() + 2, *b))
    })
}

/// Where a spelling of `secret` that starts at `start` ends, if one does.
fn spelled_at(text: &[u8], start: usize, secret: &[u8]) -> Option<usize> {
    let fits = |u: &Option<Unit>, k: usize| {
        u.as_ref()
            .filter(|u| secret.get(k..).is_some_and(|s| s.starts_with(u.decoded())))
            .map(|u| (u.len, u.n))
    };
    // Most positions fail on their first byte, or their first unit: nothing
    // to parse or allocate for them.
    let first = *text.get(start)?;
    if secret.first() != Some(&first) && !matches!(first, b'+' | b'%' | b'\\' | b'&') {
        return None;
    }
    if !units(text, start).iter().any(|u| fits(u, 0).is_some()) {
        return None;
    }
    // Depth first over (position in the text, bytes of the secret spelled),
    // each pair tried once: a byte and an escape can both fit.
    let mut stack = vec![(start, 0)];
    let mut tried = HashSet::new();
    while let Some((at, k)) = stack.pop() {
        if k == secret.len() {
            return Some(at);
        }
        if !tried.insert((at, k)) {
            continue;
        }
        for unit in units(text, at) {
            if let Some((len, n)) = fits(&unit, k) {
                stack.push((at + len, k + n));
            }
        }
    }
    None
}

/// A run of base64 characters (either alphabet), each as is or escaped.
struct Run {
    span: Range<usize>,
    sextets: Vec<u8>,
}

fn sextet(b: u8) -> Option<u8> {
    Some(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

fn base64_runs(text: &[u8]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current = Run {
        span: 0..0,
        sextets: Vec::new(),
    };
    let mut at = 0;
    while at < text.len() {
        let next = match sextet(text[at]) {
            Some(s) => Some((1, s)),
            None => escape(text, at).and_then(|u| match u.decoded() {
                [b] => sextet(*b).map(|s| (u.len, s)),
                _ => None,
            }),
        };
        match next {
            Some((len, s)) => {
                if current.sextets.is_empty() {
                    current.span.start = at;
                }
                current.sextets.push(s);
                at += len;
                current.span.end = at;
            }
            None => {
                if current.sextets.len() >= 2 {
                    runs.push(std::mem::replace(
                        &mut current,
                        Run {
                            span: 0..0,
                            sextets: Vec::new(),
                        },
                    ));
                }
                current.sextets.clear();
                at += 1;
            }
        }
    }
    if current.sextets.len() >= 2 {
        runs.push(current);
    }
    runs
}

/// Whether the run, decoded from any of its first four characters (a blob
/// may start after letters that are not part of it), holds a secret.
fn decodes_to_a_secret(sextets: &[u8], secrets: &[&[u8]], depth: u8) -> bool {
    (0..4.min(sextets.len())).any(|skip| {
        let bytes = decode(&sextets[skip..]);
        !spans_within(&bytes, secrets, depth + 1).is_empty()
    })
}

fn decode(sextets: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    let mut bits: u32 = 0;
    let mut held = 0;
    for &s in sextets {
        bits = (bits << 6) | u32::from(s);
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::spans;

    fn found(text: &str, secret: &str) -> Vec<String> {
        spans(text.as_bytes(), &[secret.as_bytes()])
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn every_spelling_of_a_secret_is_found_whole() {
        let secret = "a/b+c&d é";
        for spelling in [
            "a/b+c&d é",
            "a%2Fb%2Bc%26d+%C3%A9",
            "a%2fb%2bc%26d%20%c3%a9",
            r"a\/b+c\u0026d \u00e9",
            "a&sol;b&plus;c&amp;d&#32;&#xE9;",
            "&#x61;&#X2f;&#98;&#0043;&#99;&#38;&#100;&#32;&#233",
            "a/b&#43;c\\u0026d%20é",
        ] {
            assert_eq!(found(&format!("<{spelling}>"), secret), [spelling]);
        }
    }

    #[test]
    fn base64_of_a_secret_is_found_at_any_alignment_and_in_any_alphabet() {
        // base64("c0de/+&=z") and base64("x" + ...), standard and URL-safe,
        // unpadded, percent-encoded, after other letters.
        for text in [
            "d=YzBkZS8rJj16",
            "d=eGMwZGUvKyY9eg==",
            "abcYzBkZS8rJj16",
            "YzBkZS8rJj16".replace('/', "%2F").as_str(),
            "{\"v\":\"eHljMGRlLysmPXo=\"}",
            "eHljMGRlLysmPXo",
        ] {
            assert!(!found(text, "c0de/+&=z").is_empty(), "{text}");
        }
        // Base64 of JSON that escapes the secret: base64(`{"c":"c0de\/+\u0026=z"}`).
        assert!(!found("eyJjIjoiYzBkZVwvK1x1MDAyNj16In0=", "c0de/+&=z").is_empty());
        assert!(found("YzBkZS8rJj17 a plain text", "c0de/+&=z").is_empty());
    }

    #[test]
    fn nothing_else_is_found() {
        assert!(found("s3cr%2", "s3cr/").is_empty());
        assert!(found("s3cr%2G", "s3cr/").is_empty());
        assert_eq!(found("&#xZZ; &amp &#;", "&#"), ["&#", "&#"]);
        assert!(found("", "x").is_empty());
    }
}
