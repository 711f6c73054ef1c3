//! JSONPath (Jayway dialect), Reference Path writes and intrinsic functions on arbitrary
//! text: parse, evaluate, set. None may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let doc =
        serde_json::json!({"a": {"b": [1, 2, 3], "c": "x"}, "d": [{"e": 1}, {"e": 5}], "s": "str"});
    if let Ok(p) = states::path::Path::parse(text) {
        let _ = p.eval(&doc);
        let _ = p.get(&doc);
        let _ = p.normalized();
        if p.is_reference() {
            let mut d = doc.clone();
            let _ = p.set(&mut d, serde_json::json!(1));
        }
    }
    if let Ok(c) = states::intrinsics::Call::parse(text) {
        let _ = c.eval(&|p: &states::path::Path| {
            p.eval(&doc)
                .map_err(|_| states::Failure::runtime("missing"))
        });
    }
});
