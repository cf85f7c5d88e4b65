//! ISO 3166-1 alpha-2 country codes: the markets and origins manifests, packs and `--market`
//! may name. Only officially assigned codes are accepted; the reserved or common wrong codes
//! people write (`UK`, `EL`, `EU`) are refused with the code they most likely meant.
//!
//! No pseudo-markets: the shipped packs name countries only (a regional bloc such as the EU is
//! written as its member states), so none is accepted.

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted.
pub const ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Codes people write that ISO 3166-1 does not assign (reserved, withdrawn, or another
/// body's), with what to write instead.
const INSTEAD: &[(&str, &str)] = &[
    ("UK", "GB (the United Kingdom; UK is only reserved)"),
    ("EL", "GR (Greece; EL is the EU's code, not ISO's)"),
    (
        "EU",
        "the member states' codes (e.g. DE, FR): the EU is not a country",
    ),
    ("FX", "FR (France; FX is withdrawn)"),
    ("SU", "RU or another successor state (SU is withdrawn)"),
    ("YU", "RS or ME (YU is withdrawn)"),
    ("CS", "RS or ME (CS is withdrawn)"),
    ("ZR", "CD (ZR is withdrawn)"),
    ("TP", "TL (TP is withdrawn)"),
    ("BU", "MM (BU is withdrawn)"),
    ("DD", "DE (DD is withdrawn)"),
    ("AN", "CW, SX or BQ (AN is withdrawn)"),
    (
        "XK",
        "a code ISO assigns (XK is user-assigned, not ISO 3166-1)",
    ),
];

/// True when `code` is an officially assigned ISO 3166-1 alpha-2 code (upper case).
pub fn is_assigned(code: &str) -> bool {
    ASSIGNED.binary_search(&code).is_ok()
}

/// Why `code` is not an assigned code, and what to write instead: `(message, hint)`, with the
/// code quoted safely (bounded, escaped). `None` when the code is fine.
pub fn problem(code: &str) -> Option<(String, String)> {
    if is_assigned(code) {
        return None;
    }
    let shown = assay_core::text::quote_short(code);
    let message = format!("`{shown}` is not an officially assigned ISO 3166-1 alpha-2 code");
    let upper = code.trim().to_ascii_uppercase();
    let hint = if let Some((_, instead)) = INSTEAD.iter().find(|(c, _)| *c == upper) {
        format!("did you mean {instead}?")
    } else if upper != code && is_assigned(&upper) {
        format!("did you mean {upper}? (codes are upper case)")
    } else {
        "write the two-letter ISO 3166-1 code of a country, e.g. US, DE, CN, GB".to_string()
    };
    Some((message, hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ASSIGNED
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        for c in ["US", "GB", "GR", "CN", "DE", "FR", "JP", "AX", "SS", "XK"] {
            assert_eq!(is_assigned(c), c != "XK", "{c}");
        }
        for (c, _) in INSTEAD {
            assert!(!is_assigned(c), "{c} is in both tables");
        }
    }

    #[test]
    fn suggestions() {
        let (m, h) = problem("UK").unwrap();
        assert!(m.contains("`UK`") && h.contains("GB"), "{m} / {h}");
        assert!(problem("EL").unwrap().1.contains("GR"));
        let (_, h) = problem("XX").unwrap();
        assert!(h.contains("e.g. US"), "{h}");
        assert!(problem("de").unwrap().1.contains("did you mean DE?"));
        assert!(problem("US").is_none());
        // Hostile input is quoted bounded and escaped.
        let long = format!("\u{1b}]0;x\u{7}{}", "A".repeat(10_000_000));
        let (m, _) = problem(&long).unwrap();
        assert!(m.len() < 300 && m.contains("\\u{1b}"), "{}", m.len());
    }
}
