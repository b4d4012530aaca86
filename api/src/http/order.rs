//! The response map in the order of the selection set, as the GraphQL spec orders it.
//! async-graphql 7.2 resolves the fields of an object concurrently and inserts each answer
//! as it completes, so a field that waits for the database comes after one that does not
//! (`{ zz: __typename departments {…} aa: __typename }` answered zz, aa, departments). This
//! puts every object of the answer back in the order its fields were asked for.

use std::cell::OnceCell;
use std::collections::HashSet;

use async_graphql::Value;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Reorders `data`, the answer to the operation `operation_name` (or the only one) of
/// `document`.
pub fn follow_selection(
    data: &mut Value,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) {
    let operation = document
        .operations
        .iter()
        .find(|(name, _)| match operation_name {
            Some(wanted) => name.is_some_and(|name| name.as_str() == wanted),
            None => true,
        });
    if let Some((_, operation)) = operation {
        reorder(data, document, &[&operation.node.selection_set.node]);
    }
}

/// The response keys `sets` select, in the order they are first selected, each with the
/// selection sets under it (a key selected twice merges both).
type Shape<'a> = Vec<(&'a str, Vec<&'a SelectionSet>)>;

/// The order for every object at one place in the answer: its shape, and the plans under its
/// keys, each worked out when first needed and then shared by every object there (a page of
/// 100 rows with 5 children each is 600 objects and 2 plans).
struct Plan<'a> {
    shape: Shape<'a>,
    under: Vec<OnceCell<Plan<'a>>>,
}

impl<'a> Plan<'a> {
    fn new(document: &'a ExecutableDocument, sets: &[&'a SelectionSet]) -> Self {
        let shape = shape_of(document, sets);
        let under = shape.iter().map(|_| OnceCell::new()).collect();
        Self { shape, under }
    }

    fn position(&self, key: &str) -> usize {
        self.shape
            .iter()
            .position(|(k, _)| *k == key)
            .unwrap_or(usize::MAX)
    }
}

fn reorder(value: &mut Value, document: &ExecutableDocument, sets: &[&SelectionSet]) {
    if matches!(value, Value::Object(_) | Value::List(_)) {
        follow(value, document, &Plan::new(document, sets));
    }
}

/// Puts `value` (an object, or a list of them at any depth) in the order of `plan`.
fn follow<'a>(value: &mut Value, document: &'a ExecutableDocument, plan: &Plan<'a>) {
    match value {
        Value::Object(map) => {
            let in_order = map.keys().map(|key| plan.position(key)).is_sorted();
            if !in_order {
                map.sort_by_cached_key(|key, _| plan.position(key));
            }
            for (key, child) in map.iter_mut() {
                if !matches!(child, Value::Object(_) | Value::List(_)) {
                    continue;
                }
                let index = plan.position(key);
                let Some((_, sets)) = plan.shape.get(index) else {
                    continue;
                };
                if sets.is_empty() {
                    continue;
                }
                let under = plan.under[index].get_or_init(|| Plan::new(document, sets));
                follow(child, document, under);
            }
        }
        Value::List(items) => {
            for item in items {
                follow(item, document, plan);
            }
        }
        _ => {}
    }
}

/// The keys `sets` select, with the fragments spread into them.
fn shape_of<'a>(document: &'a ExecutableDocument, sets: &[&'a SelectionSet]) -> Shape<'a> {
    let mut shape = Shape::new();
    let mut spread = HashSet::new();
    for set in sets {
        collect(set, document, &mut shape, &mut spread);
    }
    shape
}

/// Adds the keys of `set` to `shape`, with those of the fragments spread into it. A fragment
/// spread twice adds nothing the second time, which also bounds the work on documents that
/// spread fragments into fragments.
fn collect<'a>(
    set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    shape: &mut Shape<'a>,
    spread: &mut HashSet<&'a str>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
                let index = match shape.iter().position(|(k, _)| *k == key) {
                    Some(index) => index,
                    None => {
                        shape.push((key, Vec::new()));
                        shape.len() - 1
                    }
                };
                if !field.selection_set.node.items.is_empty() {
                    shape[index].1.push(&field.selection_set.node);
                }
            }
            Selection::InlineFragment(fragment) => {
                collect(&fragment.node.selection_set.node, document, shape, spread);
            }
            Selection::FragmentSpread(name) => {
                let name = name.node.fragment_name.node.as_str();
                if !spread.insert(name) {
                    continue;
                }
                if let Some(fragment) = document.fragments.get(name) {
                    collect(&fragment.node.selection_set.node, document, shape, spread);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(keys: &[(&str, Value)]) -> Value {
        Value::Object(
            keys.iter()
                .map(|(k, v)| (async_graphql::Name::new(k), v.clone()))
                .collect(),
        )
    }

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn follow_selection__restores_the_order_asked_for() {
        let document = async_graphql::parser::parse_query(
            "query Q { zz: __typename list { b ...F } aa: __typename } fragment F on T { a b }",
        )
        .unwrap();
        let item = object(&[("a", Value::Null), ("b", Value::Null)]);
        let mut data = object(&[
            ("zz", Value::Null),
            ("aa", Value::Null),
            ("list", Value::List(vec![item.clone(), item])),
        ]);
        follow_selection(&mut data, &document, Some("Q"));
        assert_eq!(keys(&data), ["zz", "list", "aa"]);
        let Value::Object(map) = &data else { panic!() };
        let Value::List(items) = &map["list"] else {
            panic!()
        };
        assert!(items.iter().all(|item| keys(item) == ["b", "a"]));
    }

    #[test]
    fn follow_selection__orders_the_objects_under_every_item_of_a_list() {
        let document = async_graphql::parser::parse_query("{ list { b sub { y x } a } }").unwrap();
        let sub = || object(&[("x", Value::Null), ("y", Value::Null)]);
        let item = |sub: Value| object(&[("a", Value::Null), ("sub", sub), ("b", Value::Null)]);
        let mut data = object(&[(
            "list",
            Value::List(vec![
                item(sub()),
                item(Value::Null),
                item(Value::List(vec![sub(), sub()])),
            ]),
        )]);
        follow_selection(&mut data, &document, None);
        let Value::Object(map) = &data else { panic!() };
        let Value::List(items) = &map["list"] else {
            panic!()
        };
        assert!(items.iter().all(|item| keys(item) == ["b", "sub", "a"]));
        let Value::Object(first) = &items[0] else {
            panic!()
        };
        assert_eq!(keys(&first["sub"]), ["y", "x"]);
        let Value::Object(third) = &items[2] else {
            panic!()
        };
        let Value::List(subs) = &third["sub"] else {
            panic!()
        };
        assert!(subs.iter().all(|sub| keys(sub) == ["y", "x"]));
    }
}
