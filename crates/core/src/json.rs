//! Reading and writing JSON documents without indexing: `value["key"] = v`
//! panics when `value` is not an object, so writes go through [`set`] and
//! reads through [`field`] (or `get` and `pointer`).

use serde_json::Value;

/// The `key` of an object, `Null` when it is missing or `value` is not an
/// object: what a JSON reader expects of an absent field.
pub fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    const NULL: &Value = &Value::Null;
    value.get(key).unwrap_or(NULL)
}

/// The value at a JSON Pointer (`/incident/title`), `Null` when there is
/// none.
pub fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    const NULL: &Value = &Value::Null;
    value.pointer(pointer).unwrap_or(NULL)
}

/// Sets `key` of the object `value` (a `null` becomes an object first, as
/// serde_json's indexing does); any other value is left as it is.
pub fn set(value: &mut Value, key: &str, field: Value) {
    if value.is_null() {
        *value = Value::Object(serde_json::Map::new());
    }
    if let Some(object) = value.as_object_mut() {
        object.insert(key.to_owned(), field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_writes_objects_and_leaves_other_values_alone() {
        let mut object = json!({"a": 1});
        set(&mut object, "b", json!(2));
        assert_eq!(object, json!({"a": 1, "b": 2}));
        let mut nothing = Value::Null;
        set(&mut nothing, "a", json!(1));
        assert_eq!(nothing, json!({"a": 1}));
        assert_eq!(field(&object, "a"), &json!(1));
        assert_eq!(field(&object, "missing"), &Value::Null);
        assert_eq!(at(&json!({"a": {"b": 2}}), "/a/b"), &json!(2));
        assert_eq!(at(&object, "/a/b"), &Value::Null);
        assert_eq!(field(&json!([1]), "a"), &Value::Null);
        let mut list = json!([1]);
        set(&mut list, "a", json!(1));
        assert_eq!(list, json!([1]));
    }
}
