//! Tables as files: CSV with a UTF-8 byte order mark (so Excel reads the Chinese
//! correctly), and a minimal Office Open XML workbook (.xlsx) written here: one sheet,
//! inline strings, stored without compression in a ZIP. No dependency needed.

/// A cell: text or number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A share: 0.9333 is 93.3 %.
    Percent(f64),
    Empty,
}

impl Cell {
    /// A share, or nothing when there is none (a rate with nothing to measure).
    pub fn percent(n: Option<f64>) -> Cell {
        n.map(Cell::Percent).unwrap_or(Cell::Empty)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Number(n as f64)
    }
}
impl From<Option<f64>> for Cell {
    fn from(n: Option<f64>) -> Self {
        n.map(Cell::Number).unwrap_or(Cell::Empty)
    }
}

/// A titled table: a header row and rows.
pub struct Table {
    pub name: &'static str,
    pub title: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

pub fn csv(t: &Table) -> Vec<u8> {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
    }
    let mut out = String::from("\u{feff}");
    out.push_str(&t.header.iter().map(|h| field(h)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => field(s),
                Cell::Number(n) => format_number(*n),
                Cell::Percent(n) => format!("{:.1}%", n * 100.0),
                Cell::Empty => String::new(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n:.4}").trim_end_matches('0').to_owned()
    }
}

/// The table as an .xlsx workbook (rust_xlsxwriter): a bold header row frozen at the
/// top, percentages formatted as such (0.9333 shows 93.3%), and each column as wide as
/// its longest value (a Chinese character counts two).
pub fn xlsx(t: &Table) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // A sheet name has at most 31 characters and none of []:*?/\.
    let name: String = t.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let write = |sheet: &mut rust_xlsxwriter::Worksheet| -> Result<(), rust_xlsxwriter::XlsxError> {
        if !name.is_empty() {
            sheet.set_name(&name)?;
        }
        let width = |s: &str| s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>();
        let mut widths: Vec<usize> = t.header.iter().map(|h| width(h)).collect();
        for (c, h) in t.header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                let shown = match cell {
                    Cell::Text(s) => {
                        sheet.write_string(r, col, s)?;
                        width(s)
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, col, *n)?;
                        format_number(*n).len()
                    }
                    Cell::Percent(n) => {
                        sheet.write_number_with_format(r, col, *n, &percent)?;
                        6
                    }
                    Cell::Empty => 0,
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(shown);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            sheet.set_column_width(c as u16, (*w as f64 + 2.0).clamp(6.0, 60.0))?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(())
    };
    write(sheet).expect("a table fits a worksheet");
    book.save_to_buffer().expect("a workbook in memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            name: "t",
            title: "按街道".into(),
            header: vec!["街道", "诉求量"],
            rows: vec![vec!["云溪街道".into(), 12u64.into()], vec!["望湖, \"东\"".into(), Cell::Empty]],
        }
    }

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_quotes_what_needs_it() {
        let s = String::from_utf8(csv(&table())).unwrap();
        assert_eq!(s, "\u{feff}街道,诉求量\r\n云溪街道,12\r\n\"望湖, \"\"东\"\"\",\r\n");
    }

    /// The workbook's parts, by name, as text.
    fn parts(z: &[u8]) -> std::collections::HashMap<String, String> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(z)).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut text = String::new();
                std::io::Read::read_to_string(&mut f, &mut text).unwrap();
                (f.name().unwrap().to_string(), text)
            })
            .collect()
    }

    #[test]
    fn xlsx_has_a_bold_header_widths_and_percentages() {
        let mut t = table();
        t.header.push("占比");
        t.rows[0].push(Cell::Percent(0.9333));
        let p = parts(&xlsx(&t));
        let sheet = &p["xl/worksheets/sheet1.xml"];
        let styles = &p["xl/styles.xml"];
        let strings = &p["xl/sharedStrings.xml"];
        assert!(strings.contains("云溪街道") && strings.contains("望湖, \"东\""), "{strings}");
        assert!(sheet.contains("<v>12</v>") && sheet.contains("<v>0.9333</v>"), "{sheet}");
        assert!(styles.contains("<b/>") && styles.contains("formatCode=\"0.0%\""), "{styles}");
        assert!(sheet.contains("<col ") && sheet.contains("<pane "), "widths and a frozen header: {sheet}");
        assert!(p["xl/workbook.xml"].contains("name=\"按街道\""));
        assert!(String::from_utf8(csv(&t)).unwrap().contains("93.3%"));
    }
}
