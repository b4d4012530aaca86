//! Lists of small objects answered without the executor's per-object machinery.
//!
//! async-graphql resolves every object of a list as its own future, each of its fields as
//! another boxed future, and gathers them into a map field by field. For a page of inspections
//! with their findings that is hundreds of objects whose selected fields are read straight from
//! the row, and that machinery was a third of the server's CPU for such a page. A `PlainList`
//! answers a selection of such fields by building each object's value directly, in the order
//! selected; any other selection (a relation, a fragment, a directive) goes through the
//! executor as a `Vec` would, so what a list answers is the same either way.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

/// An object type whose fields without arguments, guards or side effects can be read from the
/// value alone.
pub(crate) trait PlainFields: OutputType {
    /// The value the object's resolver gives the field named `field`, or `None` for a field
    /// answered otherwise (a relation, or one that needs the request's context).
    fn plain(&self, field: &str) -> Option<Value>;
}

/// A list of `T` in the schema (`[T!]!`, as `Vec<T>`), answered without the per-object
/// machinery when the selection allows (see the module's doc).
pub(crate) struct PlainList<T>(pub Vec<T>);

impl<T> FromIterator<T> for PlainList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<T: PlainFields> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let plain = plain_fields(&ctx.item.node.items)
            .and_then(|fields| self.0.iter().map(|item| object(item, &fields)).collect());
        match plain {
            Some(values) => Ok(Value::List(values)),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// The selected fields as (response key, field name), when they are all fields without
/// directives: no fragment, no `@skip` or `@include` to evaluate.
fn plain_fields(selections: &[Positioned<Selection>]) -> Option<Vec<(&Name, &str)>> {
    selections
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) if field.node.directives.is_empty() => Some((
                &field.node.response_key().node,
                field.node.name.node.as_str(),
            )),
            _ => None,
        })
        .collect()
}

/// `item`'s value for `fields`, or `None` if one of them is not plain. A response key
/// selected twice keeps its first value, as the executor's merge of scalars does.
fn object<T: PlainFields>(item: &T, fields: &[(&Name, &str)]) -> Option<Value> {
    let mut map = IndexMap::with_capacity(fields.len());
    for &(key, name) in fields {
        if map.contains_key(key) {
            continue;
        }
        let value = match name {
            "__typename" => Value::String(item.introspection_type_name().into_owned()),
            name => item.plain(name)?,
        };
        map.insert(key.clone(), value);
    }
    Some(Value::Object(map))
}
