//! The text of a .docx upload: a zip (ECMA-376 Part 2, Open Packaging Conventions) whose main part
//! `word/document.xml` holds the body (ECMA-376 Part 1, §17.3 "Paragraphs and Rich Formatting").
//!
//! Paragraphs (`w:p`) become lines; text runs (`w:t`) are concatenated; `w:tab` becomes a space
//! and `w:br`/`w:cr` a line break; the five XML entities and character references are decoded.
//! Deleted text (`w:delText`), field codes (`w:instrText`) and the fallback copy of drawings
//! (`mc:Fallback`, which repeats the text of text boxes) are left out.
//!
//! Input is untrusted: anything that is not a zip with `word/document.xml` is refused with
//! [`TargetsError::NotDocx`], a damaged one with [`TargetsError::DamagedDocx`]; nothing panics,
//! and the body is read through a size limit so a zip bomb cannot exhaust memory.

use std::io::{Cursor, Read};

use super::TargetsError;

/// Largest `word/document.xml` read (uncompressed). A 60,000-character report is about 1 MB of
/// WordprocessingML; 64 MiB leaves room for heavy formatting and refuses zip bombs.
const MAX_DOCUMENT_XML: u64 = 64 << 20;

/// The text of a .docx file, one line per paragraph.
pub fn docx_text(bytes: &[u8]) -> Result<String, TargetsError> {
    if !bytes.starts_with(b"PK") {
        return Err(TargetsError::NotDocx("the file is not a zip archive (a .docx starts with PK)".into()));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| TargetsError::NotDocx(format!("the file is not a readable zip archive: {e}")))?;
    let entry = archive.by_name("word/document.xml").map_err(|e| match e {
        zip::result::ZipError::FileNotFound => {
            TargetsError::NotDocx("the zip archive has no word/document.xml (not a Word document)".into())
        }
        other => TargetsError::DamagedDocx(format!("word/document.xml cannot be read: {other}")),
    })?;
    let mut xml = Vec::new();
    entry
        .take(MAX_DOCUMENT_XML + 1)
        .read_to_end(&mut xml)
        .map_err(|e| TargetsError::DamagedDocx(format!("word/document.xml cannot be decompressed: {e}")))?;
    if xml.len() as u64 > MAX_DOCUMENT_XML {
        return Err(TargetsError::DamagedDocx(format!(
            "word/document.xml is larger than {} MiB uncompressed",
            MAX_DOCUMENT_XML >> 20
        )));
    }
    let xml =
        String::from_utf8(xml).map_err(|_| TargetsError::DamagedDocx("word/document.xml is not UTF-8 text".into()))?;
    body_text(&xml)
}

/// The text of WordprocessingML `xml` (the content of `word/document.xml`).
fn body_text(xml: &str) -> Result<String, TargetsError> {
    if !xml.contains("<w:document") && !xml.contains(":document") {
        return Err(TargetsError::DamagedDocx("word/document.xml has no w:document element".into()));
    }
    let mut out = String::with_capacity(xml.len() / 4);
    let mut rest = xml;
    let mut in_text = false;
    let mut fallback_depth = 0usize;
    while let Some(lt) = rest.find('<') {
        if in_text && fallback_depth == 0 {
            decode_into(&rest[..lt], &mut out);
        }
        rest = &rest[lt..];
        // Comments, processing instructions and CDATA are skipped whole.
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |e| &after[e + 3..]);
            continue;
        }
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            if in_text && fallback_depth == 0 {
                out.push_str(&after[..end]);
            }
            rest = after.get(end + 3..).unwrap_or("");
            continue;
        }
        let Some(gt) = rest.find('>') else {
            return Err(TargetsError::DamagedDocx("word/document.xml ends inside a tag".into()));
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let self_closing = tag.ends_with('/');
        let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        match (name, closing) {
            ("mc:Fallback", false) if !self_closing => fallback_depth += 1,
            ("mc:Fallback", true) => fallback_depth = fallback_depth.saturating_sub(1),
            _ if fallback_depth > 0 => {}
            ("w:t", false) => in_text = !self_closing,
            ("w:t", true) => in_text = false,
            ("w:tab", false) | ("w:ptab", false) => out.push(' '),
            ("w:br", false) | ("w:cr", false) => out.push('\n'),
            ("w:noBreakHyphen", false) => out.push('-'),
            ("w:p", true) => out.push('\n'),
            ("w:p", false) if self_closing => out.push('\n'),
            _ => {}
        }
    }
    while out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

/// Appends `text` with XML entities and character references decoded; an unknown or broken
/// reference is kept as written.
fn decode_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&s| s <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_character_references_are_decoded() {
        let mut out = String::new();
        decode_into("A&amp;B &lt;1&gt; &#8364; &#x4E07; &bogus; & x", &mut out);
        assert_eq!(out, "A&B <1> € 万 &bogus; & x");
    }

    #[test]
    fn runs_join_and_paragraphs_become_lines() {
        let xml = r#"<?xml version="1.0"?><w:document><w:body>
            <w:p><w:r><w:t>新增</w:t></w:r><w:r><w:t xml:space="preserve">就业</w:t><w:tab/><w:t>8000人。</w:t></w:r></w:p>
            <w:p/><w:p><w:r><w:t>第二段</w:t><w:br/><w:t>换行</w:t><w:delText>删掉</w:delText></w:r></w:p>
            </w:body></w:document>"#;
        assert_eq!(body_text(xml).unwrap(), "新增就业 8000人。\n\n第二段\n换行");
    }

    #[test]
    fn a_tag_cut_off_is_refused() {
        assert!(matches!(body_text("<w:document><w:p><w:t>abc</w:t"), Err(TargetsError::DamagedDocx(_))));
    }
}
