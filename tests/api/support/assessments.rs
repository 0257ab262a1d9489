//! Complete answer sets for the risk instruments, for tests and the load benchmark.

use serde_json::Value;

/// A complete assessment for `case_id` on an instrument: the first `yes` counted questions answered
/// "yes", everything else "no" (multi-part questions part by part).
pub fn assessment_body(case_id: &str, instrument: &str, version: &str, yes: usize) -> Value {
    let instrument = stalking_response::risk::instruments::find(instrument, version).unwrap();
    let mut answers = serde_json::Map::new();
    let mut counted = 0;
    for q in &instrument.questions {
        counted += usize::from(q.scored);
        let answer = if q.scored && counted <= yes {
            "yes"
        } else {
            "no"
        };
        let given = if q.parts.is_empty() {
            serde_json::json!({ "answer": answer })
        } else {
            let parts: serde_json::Map<String, Value> = q
                .parts
                .iter()
                .map(|p| (p.id.clone(), "no".into()))
                .collect();
            serde_json::json!({ "parts": parts })
        };
        answers.insert(q.id.clone(), given);
    }
    serde_json::json!({
        "case_id": case_id,
        "instrument": { "id": instrument.id, "version": instrument.version },
        "answers": answers
    })
}

/// A DASH for `case_id` with `yes` counted "yes" answers.
pub fn dash_body(case_id: &str, yes: usize) -> Value {
    assessment_body(case_id, "dash", "2009-police", yes)
}
