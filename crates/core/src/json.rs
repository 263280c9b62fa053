//! Writing into JSON documents without indexing: `value["key"] = v`
//! panics when `value` is not an object, so every write goes through
//! [`set`].

use serde_json::Value;

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
        let mut list = json!([1]);
        set(&mut list, "a", json!(1));
        assert_eq!(list, json!([1]));
    }
}
