//! The migrations' SQL as the app embeds it: without comments, and with each run of whitespace
//! (and comments) between two tokens made one space, or nothing beside `(`, `)`, `,` and `;`.
//! Quoted text (`'…'`, `"…"`, `` `…` ``, `[…]`) is kept byte for byte, so the statements mean what the
//! files say. Every component that migrates embeds all the files (issue #13: most of their 96 kB is
//! comments and alignment). Used by `build.rs`, and by the migrations' tests, which check that each
//! file splits into the same statements either way.

/// `script` without comments and without the whitespace no token needs.
pub fn minify(script: &str) -> String {
    let bytes = script.as_bytes();
    let mut out = String::with_capacity(script.len() / 2);
    // Whether whitespace or a comment came since the last byte written.
    let mut gap = false;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            gap = true;
            i += 1;
            continue;
        }
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            gap = true;
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(bytes.len());
            gap = true;
            continue;
        }
        if gap && !out.is_empty() && needs_space(out.as_bytes()[out.len() - 1], c) {
            out.push(' ');
        }
        gap = false;
        let close = match c {
            b'\'' | b'"' | b'`' => Some(c),
            b'[' => Some(b']'),
            _ => None,
        };
        let start = i;
        i += 1;
        if let Some(close) = close {
            // A doubled quote inside is two literals back to back: copied the same either way.
            while i < bytes.len() && bytes[i] != close {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else {
            // Up to the next byte that may start something else (ASCII, so on a char boundary).
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'\'' | b'"' | b'`' | b'[' | b'-' | b'/')
            {
                i += 1;
            }
        }
        out.push_str(&script[start..i]);
    }
    out
}

/// Whether two tokens that had whitespace between them still need it: always, unless one of them
/// is punctuation that cannot join with its neighbour into another token.
fn needs_space(before: u8, after: u8) -> bool {
    let apart = |b: u8| matches!(b, b'(' | b')' | b',' | b';');
    !(apart(before) || apart(after))
}

#[cfg(test)]
mod tests {
    use super::minify;

    #[test]
    fn drops_comments_and_spaces_but_never_quoted_text() {
        let script = "-- a comment; with 'quotes'\nCREATE TABLE a (\n    x TEXT DEFAULT ' two  spaces -- not a comment',  -- trailing\n    y /* block */ INTEGER\n);\nSELECT 'a' 'b', \"c  d\", [e  f], x - -1, x--1\n/ 2;";
        assert_eq!(
            minify(script),
            "CREATE TABLE a(x TEXT DEFAULT ' two  spaces -- not a comment',y INTEGER);SELECT 'a' 'b',\"c  d\",[e  f],x - -1,x / 2;"
        );
    }
}
