//! The printable pages' shared parts: escaping, the page shell with its stylesheet, and the page's own Content
//! Security Policy.
//!
//! A printable page is self-contained: its stylesheet is inline, so the organizer can save it and print it later
//! anywhere. The server's usual policy allows no inline style, so each page carries its own policy, which allows
//! exactly its own stylesheet (by its SHA-256) and no script but the print button's (`/console/print-page.js`).

use sha2::{Digest, Sha256};

use super::lang::Lang;

/// Text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// A page and the policy to send with it.
#[derive(Debug, Clone)]
pub struct Page {
    pub html: String,
    pub csp: String,
}

/// Standard base64 (RFC 4648, with padding), for the stylesheet hash of the policy.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `'sha256-…'`: the CSP source that allows exactly this stylesheet.
pub fn style_source(css: &str) -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(css.as_bytes())))
}

/// The policy of a printable page with this stylesheet: nothing from anywhere but the stylesheet itself, the
/// print button's script from this server, and `data:` images.
pub fn policy(css: &str) -> String {
    format!(
        "default-src 'none'; style-src {}; script-src 'self'; img-src 'self' data:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'",
        style_source(css)
    )
}

/// Styles every printable page shares: the screen preview (a sheet of paper on a grey desk), the toolbar with
/// the print button (not printed), tables and type.
pub const BASE_CSS: &str = r#"
* { box-sizing: border-box; }
html { background: #e7e3dc; }
body { margin: 0; color: #1b1b1b; font: 10.5pt/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", sans-serif; }
.toolbar { position: sticky; top: 0; z-index: 1; display: flex; gap: 14px; align-items: center; padding: 8px 16px; background: #8b1e1e; color: #fff; font-size: 10pt; }
.toolbar button { font: inherit; font-weight: 600; padding: 5px 18px; border: 0; border-radius: 4px; background: #fff; color: #8b1e1e; cursor: pointer; }
.toolbar .hint { opacity: .85; }
.serif { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", serif; }
h1, h2, h3 { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", serif; }
table { width: 100%; border-collapse: collapse; font-size: 9.5pt; }
th, td { border: 1px solid #b9b2a8; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3ece3; font-weight: 700; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.muted { color: #66615a; }
.small { font-size: 8.5pt; }
.alert { border: 1px solid #c9a227; background: #fbf4dc; padding: 6px 10px; margin: 8px 0; }
@media print {
  html { background: none; }
  .toolbar { display: none; }
}
"#;

/// A whole printable page: `css` (the shared base and the page's own rules) inline, the toolbar with the print
/// button, then `body`.
pub fn page(lang: Lang, title: &str, css: &str, body: &str) -> Page {
    let l = lang.labels();
    let html = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<style>{css}</style>\n</head>\n<body>\n\
         <div class=\"toolbar\" data-testid=\"print-toolbar\"><button type=\"button\" data-print \
         data-testid=\"print-button\">{print}</button><span class=\"hint\">{hint}</span></div>\n{body}\n\
         <script type=\"module\" src=\"/console/print-page.js\"></script>\n</body>\n</html>\n",
        lang = lang.html(),
        title = esc(title),
        print = esc(l.print),
        hint = esc(l.print_hint),
    );
    Page {
        html,
        csp: policy(css),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("张伟"), "张伟");
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
        // The SHA-256 of the empty string, as browsers report it in CSP errors.
        assert_eq!(
            style_source(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
    }

    #[test]
    fn the_page_allows_its_own_stylesheet_only() {
        let css = "body { color: red; }";
        let p = page(Lang::Zh, "<标题>", css, "<p>x</p>");
        assert!(p.html.contains("<title>&lt;标题&gt;</title>"));
        assert!(p.html.contains(&format!("<style>{css}</style>")));
        assert!(p.csp.contains(&style_source(css)));
        assert!(!p.csp.contains("unsafe-inline"));
        assert!(p.csp.contains("default-src 'none'"));
    }
}
