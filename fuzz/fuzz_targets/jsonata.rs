//! JSONata expressions on arbitrary text: parse and evaluate. Neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.len() > 512 {
        return;
    }
    let doc = serde_json::json!({"a": {"b": [1, 2, 3], "c": "x"}, "d": [{"e": 1}, {"e": 5}]});
    if let Ok(e) = jsonata::Expr::parse(text) {
        let _ = e.evaluate(Some(&doc), &jsonata::NoEnv);
    }
});
