//! Prints the targets of a report given as a .txt (UTF-8) or .docx file, one per line:
//! value, unit, direction, what, and the text of the span —
//! `cargo run -p yiwang-dispatch --example targets_extract -- report.docx`.

use yiwang_dispatch::targets::{docx_text, extract};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: targets_extract FILE.txt|FILE.docx");
        std::process::exit(2);
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1);
    });
    let text = if path.to_ascii_lowercase().ends_with(".docx") {
        docx_text(&bytes).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        })
    } else {
        String::from_utf8(bytes).unwrap_or_else(|_| {
            eprintln!("{path}: not UTF-8 text");
            std::process::exit(1);
        })
    };
    for t in extract(&text) {
        println!("{}\t{}\t{}\t{}\t{}", t.value, t.unit, t.direction.as_str(), t.what, &text[t.span.clone()]);
    }
}
