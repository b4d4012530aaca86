//! Lists of small objects answered without the executor's per-object machinery.
//!
//! async-graphql resolves every object of a list as its own future, each of its fields as
//! another boxed future, and gathers them into a map field by field. For a page of inspections
//! with their findings that is hundreds of objects whose selected fields are read straight from
//! the row, and that machinery was a third of the server's CPU for such a page. A `PlainList`
//! answers a selection of such fields by building each object's value directly, in the order
//! selected; any other selection (a relation, a fragment, a directive) goes through the
//! executor as a `Vec` would, so what a list answers is the same either way.
//!
//! A page's own objects (a connection's nodes) are answered the same way by `PlainNode`: their
//! plain fields, and relations the request already holds whose own selection is plain (an
//! inspection's findings, loaded with the page), built directly; anything else sends the whole
//! object to the executor. A `PlainList` whose objects hold their relations (a lookup's
//! candidates and their departments) is answered the same way.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value,
};

/// An object type whose fields without arguments, guards or side effects can be read from the
/// value alone.
pub(crate) trait PlainFields: OutputType {
    /// The value the object's resolver gives the field named `field`, or `None` for a field
    /// answered otherwise (a relation, or one that needs the request's context).
    fn plain(&self, field: &str) -> Option<Value>;

    /// The value of the relation `ctx`'s field names, when a page loaded its rows ahead and
    /// their selection is plain (`plain_list`); `None` leaves the object to the executor, which
    /// answers it, errors included, as it always does.
    fn plain_relation(&self, _ctx: &Context<'_>) -> Option<Value> {
        None
    }
}

/// `items`' values for the selection of `ctx`'s field, when it is plain.
pub(crate) fn plain_list<T: PlainFields>(
    items: impl IntoIterator<Item = T>,
    ctx: &Context<'_>,
) -> Option<Value> {
    let items: Vec<T> = items.into_iter().collect();
    list_values(
        &items,
        &ctx.with_selection_set(&ctx.item.node.selection_set),
    )
}

/// `items`' values for the selection `ctx`, when it is plain: fields alone first (the keys
/// found once for the list), then with relations.
fn list_values<T: PlainFields>(items: &[T], ctx: &ContextSelectionSet<'_>) -> Option<Value> {
    plain_fields(&ctx.item.node.items)
        .and_then(|fields| items.iter().map(|item| object(item, &fields)).collect())
        .or_else(|| items.iter().map(|item| node_object(item, ctx)).collect())
        .map(Value::List)
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
        match list_values(&self.0, ctx) {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// An object of a page in the schema as `T` (a connection's `nodes` and `edges.node`),
/// answered without the per-object machinery when the selection allows (see the module's doc).
pub(crate) struct PlainNode<T>(pub T);

impl<T: PlainFields> OutputType for PlainNode<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match node_object(&self.0, ctx) {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// The value of the relation `ctx`'s field names when it is `item` (or null), for a
/// `PlainFields::plain_relation` whose rows are at hand: `None` when its selection is not
/// plain.
pub(crate) fn plain_relation<T: PlainFields>(item: Option<&T>, ctx: &Context<'_>) -> Option<Value> {
    match item {
        Some(item) => node_object(item, &ctx.with_selection_set(&ctx.item.node.selection_set)),
        None => Some(Value::Null),
    }
}

/// `item`'s value for the selection of `ctx`, its relations included, or `None` if a field
/// is neither plain nor a plain relation (or the selection has a fragment or a directive).
fn node_object<T: PlainFields>(item: &T, ctx: &ContextSelectionSet<'_>) -> Option<Value> {
    let selections = &ctx.item.node.items;
    let mut map = IndexMap::with_capacity(selections.len());
    for (index, selection) in selections.iter().enumerate() {
        let field = plain_selection(selection)?;
        let (key, name) = (
            &field.node.response_key().node,
            field.node.name.node.as_str(),
        );
        let value = match name {
            "__typename" => Value::String(item.introspection_type_name().into_owned()),
            name => match item.plain(name) {
                Some(value) => value,
                // The executor merges the selections of a relation selected twice.
                None if selected_before(&selections[..index], key) => return None,
                None => item.plain_relation(&ctx.with_field(field))?,
            },
        };
        // A scalar selected twice keeps its first value, as the executor's merge does.
        map.entry(key.clone()).or_insert(value);
    }
    Some(Value::Object(map))
}

/// Whether one of `selections` (fields alone: `node_object` took no other) answers `key`.
fn selected_before(selections: &[Positioned<Selection>], key: &Name) -> bool {
    selections.iter().any(|selection| {
        matches!(&selection.node, Selection::Field(field) if field.node.response_key().node == *key)
    })
}

/// `selection` when it is a field without directives: no fragment, no `@skip` or `@include`
/// to evaluate.
fn plain_selection(selection: &Positioned<Selection>) -> Option<&Positioned<Field>> {
    match &selection.node {
        Selection::Field(field) if field.node.directives.is_empty() => Some(field),
        _ => None,
    }
}

/// The selected fields as (response key, field name), when every selection is plain
/// (`plain_selection`). A response key selected twice is listed once, where first selected:
/// the executor keeps a scalar's first value.
fn plain_fields(selections: &[Positioned<Selection>]) -> Option<Vec<(&Name, &str)>> {
    let mut fields: Vec<(&Name, &str)> = Vec::with_capacity(selections.len());
    for selection in selections {
        let field = plain_selection(selection)?;
        let key = &field.node.response_key().node;
        if !fields.iter().any(|(seen, _)| *seen == key) {
            fields.push((key, field.node.name.node.as_str()));
        }
    }
    Some(fields)
}

/// `item`'s value for `fields` (each key once), or `None` if one of them is not plain.
fn object<T: PlainFields>(item: &T, fields: &[(&Name, &str)]) -> Option<Value> {
    let mut map = IndexMap::with_capacity(fields.len());
    for &(key, name) in fields {
        let value = match name {
            "__typename" => Value::String(item.introspection_type_name().into_owned()),
            name => item.plain(name)?,
        };
        map.insert(key.clone(), value);
    }
    Some(Value::Object(map))
}
