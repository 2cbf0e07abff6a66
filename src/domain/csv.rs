//! The one way Gangway writes CSV (batch manifests, the passenger list, settlement): UTF-8 with a
//! byte-order mark, so spreadsheet programs read names like "Zoë" right; CRLF line ends (RFC 4180);
//! money in currency units (`288.00`), not cents; and every text cell through one formula guard,
//! because a holder name or reseller code such as `=HYPERLINK(…)` would otherwise run as a formula
//! in the operator's spreadsheet.

/// The UTF-8 byte-order mark that starts every CSV file.
pub const BOM: &str = "\u{feff}";

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Free text: guarded against formulas and quoted when needed.
    Text(&'a str),
    /// A count or id.
    Int(i64),
    /// Integer minor units of `currency`, written in its major units (`28800` USD → `288.00`).
    Money(i64, &'a str),
    /// No value.
    Empty,
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Cell<'a> {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Cell<'a> {
        Cell::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Cell<'a> {
    fn from(s: Option<&'a str>) -> Cell<'a> {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<i64> for Cell<'_> {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

/// A CSV document being written: the BOM and the header first, then one line per `row`.
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            out: String::from(BOM),
        };
        csv.row(header.iter().map(|h| Cell::Text(h)));
        csv
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            match cell {
                Cell::Text(s) => self.out.push_str(&text(s)),
                Cell::Int(n) => self.out.push_str(&n.to_string()),
                Cell::Money(cents, currency) => self.out.push_str(&money(cents, currency)),
                Cell::Empty => {}
            }
        }
        self.out.push_str("\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A text cell: a leading `=`, `+`, `-`, `@`, tab or carriage return gets an apostrophe (the
/// OWASP advice for CSV injection), and anything CSV would misread is quoted.
pub fn text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Digits after the decimal point of an ISO 4217 currency (2 unless the standard says otherwise).
fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Minor units in major units with the currency's decimals, exactly (no floating point).
pub fn money(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale as u64;
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_separators_quoted() {
        assert_eq!(text("=1+2"), "'=1+2");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("-3"), "'-3");
        assert_eq!(text("a,b"), "\"a,b\"");
        assert_eq!(text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(text("=x,\"y\""), "\"'=x,\"\"y\"\"\"");
        assert_eq!(text("Zoë"), "Zoë");
    }

    #[test]
    fn money_is_written_in_currency_units() {
        assert_eq!(money(28800, "USD"), "288.00");
        assert_eq!(money(5, "USD"), "0.05");
        assert_eq!(money(-1250, "EUR"), "-12.50");
        assert_eq!(money(1500, "JPY"), "1500");
        assert_eq!(money(1234, "KWD"), "1.234");
    }

    #[test]
    fn a_document_starts_with_the_bom_and_its_header() {
        let mut csv = Csv::new(&["code", "price"]);
        csv.row([Cell::Text("+A"), Cell::Money(28800, "USD")]);
        csv.row([Cell::Empty, Cell::Int(3)]);
        assert_eq!(csv.finish(), "\u{feff}code,price\r\n'+A,288.00\r\n,3\r\n");
    }
}
