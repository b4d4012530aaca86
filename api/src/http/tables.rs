//! Lists as spreadsheets, beside `/graphql` and authenticated as it is (the same bearer
//! token, verified by the same `Verifier`), for front ends' 导出Excel / 导入 buttons:
//!
//! - `GET /lists/{id}/export.xlsx` and `GET /lists/{id}/export.zip` (one CSV file a sheet):
//!   the version in force today, or on `?asOf=YYYY-MM-DD`, or the draft with `?draft=true`
//!   for those who may read it (`versions::DraftReader`).
//! - `PUT /lists/{id}/draft` (or POST) with a workbook or a CSV ZIP as the body: loaded into
//!   the list's draft by `import::tables::upload_tables`, in one transaction, by the
//!   editing rules; refused whole, with the sheet, row and column at fault.
//!
//! `{id}` is the list's global id (`ResponsibilityList.id`). Every refusal is a JSON body
//! `{"errors": [{"code", "message", "sheet", "row", "column", "columnLetter", "place"}]}`.

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, put},
};
use chrono::NaiveDate;
use entity::{list_version, responsibility_list};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::AppState;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::import::tables::{self, TableError, TableLoadError, Tables, xlsx, zip};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ZIP: &str = "application/zip";

/// What an archive may unpack to, as a multiple of the upload limit.
const UNPACK_FACTOR: u64 = 20;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lists/{id}/export.xlsx", get(export_xlsx))
        .route("/lists/{id}/export.zip", get(export_zip))
        .route("/lists/{id}/draft", put(upload).post(upload))
}

/// Which version of the list to download.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Which {
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    draft: Option<bool>,
}

async fn export_xlsx(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(which): Query<Which>,
) -> Response {
    export(&state, &headers, &id, which, Format::Xlsx).await
}

async fn export_zip(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(which): Query<Which>,
) -> Response {
    export(&state, &headers, &id, which, Format::Zip).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Zip,
}

async fn export(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    which: Which,
    format: Format,
) -> Response {
    let viewer = match state.viewer(headers).await {
        Ok(viewer) => viewer,
        Err(err) => return api_error(err),
    };
    let list = match find_list(state, id).await {
        Ok(list) => list,
        Err(response) => return response,
    };
    let version = match version(state, &viewer, &list, which).await {
        Ok(version) => version,
        Err(response) => return response,
    };
    let file = match crate::import::export_version(&state.db, &list, version.id).await {
        Ok(file) => file,
        Err(err) => return api_error(err.into()),
    };
    let written = tables::to_tables(&file).and_then(|tables| match format {
        Format::Xlsx => xlsx::write(&tables),
        Format::Zip => zip::write(&tables),
    });
    let bytes = match written {
        Ok(bytes) => bytes,
        Err(err) => return table_error(StatusCode::INTERNAL_SERVER_ERROR, &err),
    };
    let (media, extension) = match format {
        Format::Xlsx => (XLSX, "xlsx"),
        Format::Zip => (ZIP, "zip"),
    };
    let name = match version.number {
        Some(number) => format!("{}-v{number}.{extension}", list.title),
        None => format!("{}-草稿.{extension}", list.title),
    };
    let disposition = format!(
        "attachment; filename=\"list-{}.{extension}\"; filename*=UTF-8''{}",
        list.id,
        percent_encode(&name)
    );
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The version asked for: the draft (for its readers), the one in force on `asOf`, or today.
async fn version(
    state: &AppState,
    viewer: &Viewer,
    list: &responsibility_list::Model,
    which: Which,
) -> Result<list_version::Model, Response> {
    use crate::domain::versions;
    let db = &state.db;
    if which.draft == Some(true) {
        if which.as_of.is_some() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "ask for the draft or for asOf, not both",
            ));
        }
        let reader = versions::DraftReader::of(db, viewer)
            .await
            .map_err(|err| api_error(err.into()))?;
        let draft = versions::draft(db, list.id)
            .await
            .map_err(|err| api_error(err.into()))?;
        return match draft {
            Some(draft) if reader.reads(&draft) => Ok(draft),
            _ if viewer.sub.is_none() => Err(api_error(ApiError::Unauthenticated)),
            Some(_) => Err(api_error(ApiError::Forbidden {
                reason: "a draft is read by those who may edit it".into(),
            })),
            None => Err(refuse(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "the list has no draft",
            )),
        };
    }
    let day = match which.as_of.as_deref() {
        None => state.clock.today(),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 10)
            .ok_or_else(|| {
                refuse(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    &format!("asOf {text:?} is not a date such as 2027-01-01"),
                )
            })?,
    };
    let in_force = state
        .in_force
        .get(db, day)
        .await
        .map_err(|err| api_error(err.into()))?;
    let version = list_version::Entity::find()
        .filter(list_version::Column::ListId.eq(list.id))
        .filter(list_version::Column::Id.is_in(in_force.iter().copied()))
        .one(db)
        .await
        .map_err(|err| api_error(err.into()))?;
    version.ok_or_else(|| {
        refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("no version of the list is in force on {day}"),
        )
    })
}

/// `PUT /lists/{id}/draft`: the body, a workbook or a ZIP of CSV files, into the draft.
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    let viewer = match state.viewer(&headers).await {
        Ok(viewer) => viewer,
        Err(err) => return api_error(err),
    };
    if let Err(err) = viewer.require_any(&[crate::auth::Role::Editor]) {
        return api_error(err);
    }
    let list = match find_list(&state, &id).await {
        Ok(list) => list,
        Err(response) => return response,
    };
    let limit = state.limits.max_upload_bytes;
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "LIMIT_EXCEEDED",
            &format!("an upload is at most {limit} bytes (QINGDAN_MAX_UPLOAD_BYTES)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return too_large();
    }
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large();
    };
    let tables = match read_upload(&headers, &bytes, limit as u64 * UNPACK_FACTOR) {
        Ok(tables) => tables,
        Err(response) => return response,
    };
    let uploaded = tables::upload_tables(&state.db, &viewer, &*state.clock, list.id, &tables).await;
    // Whatever it wrote, this process reads back at once, not when the notification comes
    // (`AppState::written`): the editor's next query sees the draft.
    state.written();
    match uploaded {
        Ok(changes) => {
            let total = changes.total();
            let body = json!({
                "listId": crate::ids::encode("ResponsibilityList", list.id),
                "draftId": changes.draft_id.map(|id| crate::ids::encode("ListVersion", id)),
                "changed": total.added + total.changed + total.removed > 0,
                "total": total,
                "tables": changes.tables,
            });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(TableLoadError::Invalid(err)) => {
            let status = match err.code {
                "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
                "FORBIDDEN" => StatusCode::FORBIDDEN,
                "LIST_UNKNOWN" => StatusCode::NOT_FOUND,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            table_error(status, &err)
        }
        Err(TableLoadError::Db(err)) => api_error(err.into()),
    }
}

/// The uploaded tables: a workbook or a ZIP of CSV files, by the content type or, for
/// `application/octet-stream` or none, by what the archive holds (a workbook has
/// `xl/workbook.xml`).
fn read_upload(headers: &HeaderMap, bytes: &[u8], max_unpacked: u64) -> Result<Tables, Response> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let workbook = match media.as_str() {
        XLSX => true,
        ZIP | "application/x-zip-compressed" => false,
        "" | "application/octet-stream" => looks_like_workbook(bytes),
        other => {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                &format!("send a workbook ({XLSX}) or a ZIP of CSV files ({ZIP}), not {other}"),
            ));
        }
    };
    let read = zip::check_unpacked_size(bytes, max_unpacked).and_then(|()| {
        if workbook {
            xlsx::read(bytes)
        } else {
            zip::read(bytes, max_unpacked)
        }
    });
    read.map_err(|err| {
        let status = if err.code == "FILE_TOO_LARGE" {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        table_error(status, &err)
    })
}

/// Whether a ZIP holds a workbook's parts rather than CSV files.
fn looks_like_workbook(bytes: &[u8]) -> bool {
    bytes
        .windows(b"xl/workbook.xml".len())
        .any(|w| w == b"xl/workbook.xml")
}

async fn find_list(state: &AppState, id: &str) -> Result<responsibility_list::Model, Response> {
    let not_found = || {
        refuse(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            &format!("no list has the id {id:?}"),
        )
    };
    let row = crate::ids::decode_as(id, "ResponsibilityList").ok_or_else(not_found)?;
    responsibility_list::Entity::find_by_id(row)
        .one(&state.db)
        .await
        .map_err(|err| api_error(err.into()))?
        .ok_or_else(not_found)
}

/// A file name for `filename*` (RFC 5987): every byte outside the unreserved set escaped.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A located refusal of the file, as the command line words it.
fn table_error(status: StatusCode, err: &TableError) -> Response {
    let body = json!({ "errors": [{
        "code": err.code,
        "message": err.message,
        "sheet": (!err.sheet.is_empty()).then_some(&err.sheet),
        "row": err.row,
        "column": err.column.as_ref().map(|c| &c.header),
        "columnLetter": err.column.as_ref().map(|c| &c.letter).filter(|l| !l.is_empty()),
        "place": err.place(),
    }] });
    (status, axum::Json(body)).into_response()
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "code": code, "message": message }] });
    (status, axum::Json(body)).into_response()
}

/// A refusal of the request itself: 401 (with RFC 6750's `WWW-Authenticate`, as `/graphql`
/// answers), 403, or the database's 409/503/500, never its message.
fn api_error(err: ApiError) -> Response {
    use crate::error::ErrorCode;
    let code = err.code();
    let status = match code {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = ?err, "spreadsheet request failed");
    }
    let mut response = refuse(status, code.as_str(), &err.message());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            super::graphql::bearer_challenge(&err),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encode__escapes_chinese_and_spaces() {
        assert_eq!(
            percent_encode("清单 v1.xlsx"),
            "%E6%B8%85%E5%8D%95%20v1.xlsx"
        );
    }
}
