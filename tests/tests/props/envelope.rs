//! The error envelope and its entries, fed arbitrary bytes and JSON.

use upstox_login_sdk::{ApiErrorEntry, ErrorCode, ErrorEnvelope};

use super::*;

pub(crate) fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The snake_case spelling unless it is absent or null, then the camelCase one.
fn either<'a>(obj: &'a Map<String, Value>, snake: &str, camel: &str) -> Option<&'a Value> {
    obj.get(snake)
        .filter(|v| !v.is_null())
        .or_else(|| obj.get(camel).filter(|v| !v.is_null()))
}

proptest! {
    #![proptest_config(config(LOCAL_CASES))]

    /// Any bytes: the envelope decodes or fails cleanly, and what decodes
    /// survives a round trip through its own serialization.
    #[test]
    fn error_envelope_takes_arbitrary_bytes(body in prop_oneof![arbitrary_bytes(), json_bytes()]) {
        if let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(&body) {
            let again: ErrorEnvelope = serde_json::from_value(
                serde_json::to_value(&envelope).expect("serializes"),
            ).expect("its own serialization decodes");
            prop_assert_eq!(again, envelope);
        }
    }

    /// Any JSON object is an entry: either spelling of each field, any JSON
    /// type for every value, snake_case winning when both are there.
    #[test]
    fn error_entry_takes_any_object(obj in entry_object()) {
        let entry: ApiErrorEntry = serde_json::from_value(Value::Object(obj.clone()))
            .expect("any object is an entry");
        let code = either(&obj, "error_code", "errorCode").and_then(text_of);
        prop_assert_eq!(entry.error_code.clone(), code.as_deref().map(ErrorCode::parse));
        prop_assert_eq!(entry.message.clone(), obj.get("message").and_then(text_of));
        prop_assert_eq!(
            entry.property_path.clone(),
            either(&obj, "property_path", "propertyPath").and_then(text_of)
        );
        prop_assert_eq!(
            entry.invalid_value.clone(),
            either(&obj, "invalid_value", "invalidValue").cloned()
        );
        if let Some(code) = &entry.error_code {
            prop_assert_eq!(ErrorCode::parse(code.as_str()), code.clone());
        }
    }

    /// Any JSON: the envelope decodes or fails cleanly.
    #[test]
    fn error_envelope_takes_arbitrary_json(value in json_document()) {
        let decoded = serde_json::from_value::<ErrorEnvelope>(value.clone());
        if let (Ok(envelope), true) = (decoded, value.is_object()) {
            let errors = value.get("errors").filter(|e| !e.is_null());
            prop_assert_eq!(envelope.errors.len(), errors.and_then(Value::as_array).map_or(0, Vec::len));
        }
    }
}
