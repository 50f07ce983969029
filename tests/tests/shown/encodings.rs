//! The encodings a server may echo a secret in, made here by hand or by
//! the `base64` crate (not by the SDK): each gives the text the server
//! means and the JSON literal that carries it.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use upstox_login_tests::url_encode;

/// An encoding of a secret: the text the server means, and the JSON string
/// literal (quotes included) that carries it in an envelope.
pub(crate) struct Echo {
    pub(crate) text: String,
    pub(crate) json: String,
}

pub(crate) fn text(text: String) -> Echo {
    Echo {
        json: serde_json::to_string(&text).expect("a string serialises"),
        text,
    }
}

/// A JSON literal written by hand; `text` is what it decodes to.
pub(crate) fn literal(inner: String) -> Echo {
    let json = format!("\"{inner}\"");
    let text = serde_json::from_str(&json).expect("a valid JSON literal");
    Echo { text, json }
}

pub(crate) fn percent(s: &str, keep: fn(u8) -> bool, hex: fn(u8) -> String) -> String {
    s.bytes()
        .map(|b| {
            if keep(b) {
                (b as char).to_string()
            } else {
                hex(b)
            }
        })
        .collect()
}

pub(crate) fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

pub(crate) fn pct_upper(b: u8) -> String {
    format!("%{b:02X}")
}

pub(crate) fn pct_lower(b: u8) -> String {
    format!("%{b:02x}")
}

pub(crate) fn rfc3986(s: &str) -> String {
    percent(s, unreserved, pct_upper)
}

pub(crate) fn interleave(s: &str, with: &str) -> String {
    let chars: Vec<String> = s.chars().map(String::from).collect();
    chars.join(with)
}

pub(crate) fn json_units(units: impl IntoIterator<Item = u16>, upper: bool) -> String {
    units
        .into_iter()
        .map(|u| {
            if upper {
                format!("\\u{u:04X}")
            } else {
                format!("\\u{u:04x}")
            }
        })
        .collect()
}

/// UTF-16 of `s` in bytes, each byte one `\u00XX` escape: the NULs and
/// bytes of UTF-16 as a decoder of the wrong width would write them.
pub(crate) fn utf16_json(s: &str, little_endian: bool) -> String {
    let bytes = s.encode_utf16().flat_map(|u| {
        if little_endian {
            u.to_le_bytes()
        } else {
            u.to_be_bytes()
        }
    });
    json_units(bytes.map(u16::from), false)
}

pub(crate) fn base32(bytes: &[u8], pad: bool) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, block[0], block[1], block[2], block[3], block[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(ALPHABET[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn quoted_printable(s: &str) -> String {
    percent(
        s,
        |b| (33..=126).contains(&b) && b != b'=' || b == b' ',
        |b| format!("={b:02X}"),
    )
}

pub(crate) fn named_entity(c: char) -> String {
    match c {
        '&' => "&amp;".into(),
        '=' => "&equals;".into(),
        '+' => "&plus;".into(),
        '/' => "&sol;".into(),
        '.' => "&period;".into(),
        ' ' => "&#32;".into(),
        c => c.to_string(),
    }
}

pub(crate) type Encode = fn(&str) -> Echo;

/// Every encoding, by name.
pub(crate) const ENCODINGS: &[(&str, Encode)] = &[
    ("plain", |s| text(s.into())),
    ("percent (RFC 3986)", |s| text(rfc3986(s))),
    ("percent, lower-case hex", |s| {
        text(percent(s, unreserved, pct_lower))
    }),
    ("percent, every byte", |s| {
        text(percent(s, |_| false, pct_upper))
    }),
    ("double percent (%25)", |s| text(rfc3986(&rfc3986(s)))),
    ("form", |s| text(url_encode(s))),
    ("JSON \\u, every character", |s| {
        literal(json_units(s.encode_utf16(), false))
    }),
    ("JSON \\u, upper-case hex", |s| {
        literal(json_units(s.encode_utf16(), true))
    }),
    ("JSON escapes of the specials (Gson)", |s| {
        literal(
            s.replace('/', "\\/")
                .replace('&', "\\u0026")
                .replace('=', "\\u003d")
                .replace('+', "\\u002B"),
        )
    }),
    ("HTML decimal entities", |s| {
        text(s.chars().map(|c| format!("&#{};", c as u32)).collect())
    }),
    ("HTML hex entities", |s| {
        text(s.chars().map(|c| format!("&#x{:x};", c as u32)).collect())
    }),
    ("HTML named entities", |s| {
        text(s.chars().map(named_entity).collect())
    }),
    ("hex, lower-case", |s| {
        text(s.bytes().map(|b| format!("{b:02x}")).collect())
    }),
    ("hex, upper-case", |s| {
        text(s.bytes().map(|b| format!("{b:02X}")).collect())
    }),
    ("hex, \\x escapes", |s| {
        text(s.bytes().map(|b| format!("\\x{b:02x}")).collect())
    }),
    ("base32", |s| text(base32(s.as_bytes(), true))),
    ("base64", |s| text(STANDARD.encode(s))),
    ("base64, URL-safe", |s| text(URL_SAFE.encode(s))),
    ("base64, unpadded", |s| text(STANDARD_NO_PAD.encode(s))),
    ("base64 of base64", |s| {
        text(STANDARD.encode(STANDARD.encode(s)))
    }),
    ("base64, percent-encoded", |s| {
        text(rfc3986(&STANDARD.encode(s)))
    }),
    ("base64 of the form encoding", |s| {
        text(STANDARD.encode(url_encode(s)))
    }),
    ("MIME encoded-word", |s| {
        text(format!("=?UTF-8?B?{}?=", STANDARD.encode(s)))
    }),
    ("UTF-16LE in JSON escapes", |s| literal(utf16_json(s, true))),
    ("UTF-16BE in JSON escapes", |s| {
        literal(utf16_json(s, false))
    }),
    ("reversed behind a right-to-left override", |s| {
        text(format!(
            "\u{202e}{}\u{202c}",
            s.chars().rev().collect::<String>()
        ))
    }),
    ("zero-width joiners inside", |s| {
        text(interleave(s, "\u{200d}"))
    }),
    ("zero-width spaces inside", |s| {
        text(interleave(s, "\u{200b}"))
    }),
    ("NULs inside", |s| text(interleave(s, "\u{0}"))),
    ("base64, URL-safe, unpadded", |s| {
        text(URL_SAFE_NO_PAD.encode(s))
    }),
    ("HTML hex entities, upper-case and zero-padded", |s| {
        text(s.chars().map(|c| format!("&#X{:04X};", c as u32)).collect())
    }),
    ("HTML entities, percent-encoded", |s| {
        text(rfc3986(
            &s.chars()
                .map(|c| format!("&#{};", c as u32))
                .collect::<String>(),
        ))
    }),
    ("JSON \\u escapes of the form encoding", |s| {
        literal(json_units(url_encode(s).encode_utf16(), false))
    }),
    ("octal escapes", |s| {
        text(s.bytes().map(|b| format!("\\{b:03o}")).collect())
    }),
    ("inside bidi isolates", |s| {
        text(format!("\u{2066}{s}\u{2069}"))
    }),
];

/// Spellings that once got through the shown message (a short secret in
/// a spelling the 16-character run does not catch, or spaced by characters
/// that are neither token characters nor controls): now dropped as not
/// plain ASCII, as spelling a secret sent, or blanked as a mixed run.
pub(crate) const KNOWN_LEAKS: &[(&str, Encode)] = &[
    ("base32, lower-case, unpadded", |s| {
        text(base32(s.as_bytes(), false).to_lowercase())
    }),
    ("quoted-printable", |s| text(quoted_printable(s))),
    ("reversed", |s| text(s.chars().rev().collect())),
    ("soft hyphens inside", |s| text(interleave(s, "\u{ad}"))),
    ("combining grapheme joiners inside", |s| {
        text(interleave(s, "\u{34f}"))
    }),
    ("spaces inside", |s| text(interleave(s, " "))),
    ("upper-case", |s| text(s.to_uppercase())),
    ("full-width forms", |s| {
        text(
            s.chars()
                .map(|c| match c {
                    ' ' => '\u{3000}',
                    '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xff01).unwrap_or(c),
                    c => c,
                })
                .collect(),
        )
    }),
];
