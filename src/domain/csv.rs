//! The one way the product writes CSV (batch manifests; any export to come). Every text cell goes
//! through [`field`]: a cell a spreadsheet would run as a formula (it begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return — OWASP's list) gets a leading `'`, which spreadsheets show as
//! text and hide; anything CSV would misread (a comma, a quote, a line break) is quoted. Numbers
//! are written as they are, so a negative amount stays a number.

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    Int(i64),
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Cell<'a> {
    fn from(s: Option<&'a str>) -> Self {
        Cell::Text(s.unwrap_or(""))
    }
}

impl From<i64> for Cell<'_> {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

/// A text cell, safe to open in a spreadsheet and to parse as CSV.
pub fn field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Appends one row (cells, commas, `\n`) to `out`.
pub fn push_row<'a>(out: &mut String, cells: impl IntoIterator<Item = Cell<'a>>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match cell {
            Cell::Text(s) => out.push_str(&field(s)),
            Cell::Int(n) => out.push_str(&n.to_string()),
        }
    }
    out.push('\n');
}

/// A CSV document: the header row, then [`Csv::row`] for each record.
pub struct Csv(String);

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut out = String::new();
        push_row(&mut out, header.iter().map(|h| Cell::Text(h)));
        Csv(out)
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        push_row(&mut self.0, cells);
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused() {
        for s in [
            "=1+1",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "=HYPERLINK(\"http://x\")",
        ] {
            let f = field(s);
            let inner = f.trim_matches('"');
            assert!(inner.starts_with('\''), "{s:?} -> {f:?}");
        }
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("-AbC"), "'-AbC");
    }

    #[test]
    fn plain_text_is_unchanged_and_specials_are_quoted() {
        assert_eq!(field("KIOSK-01"), "KIOSK-01");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=a,b"), "\"'=a,b\"");
    }

    #[test]
    fn rows_keep_numbers_as_numbers() {
        let mut csv = Csv::new(&["code", "amount", "note"]);
        csv.row([Cell::from("T1"), Cell::from(-500), Cell::from("=cmd")]);
        assert_eq!(csv.into_string(), "code,amount,note\nT1,-500,'=cmd\n");
    }
}
