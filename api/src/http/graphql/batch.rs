//! A JSON array of operations, when `QINGDAN_MAX_BATCH` allows it.

use std::time::Duration;

use axum::{
    http::{StatusCode, header},
    response::IntoResponse,
};
use serde_json::json;

use super::answer::{Answer, MediaType, bad_request, refuse, timed_out, to_json};
use super::execute::{outcome_of, run};
use super::{Door, Step};
use crate::error::{Code, ErrorCode, TransportCode};
use crate::http::limits;
use crate::http::metrics::{self, Outcome};
use crate::http::operation::Operation;

impl Door<'_> {
    /// A JSON array of operations: refused unless `QINGDAN_MAX_BATCH` allows that many; else
    /// each is executed in turn (so mutations apply in order) for the one caller, within one
    /// request timeout, and the answers come back as an array in the same order.
    pub(super) async fn batch(&self, media: MediaType, body: &[u8]) -> Step<Answer> {
        let max = self.state.limits.max_batch;
        if max == 0 {
            return Err(Answer::refused(
                refuse(
                    StatusCode::BAD_REQUEST,
                    TransportCode::BatchDisabled,
                    "batched requests (a JSON array) are not accepted: send one operation per request",
                ),
                metrics::BATCH,
            ));
        }
        let requests: Vec<async_graphql::Request> = serde_json::from_slice(body)
            .map_err(|err| bad_request(&format!("not a batch of GraphQL requests: {err}")))?;
        if requests.is_empty() {
            return Err(bad_request("the batch is empty"));
        }
        if requests.len() > max {
            return Err(Answer::refused(
                refuse(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::LimitExceeded,
                    &format!(
                        "the batch holds {} operations, more than {max}",
                        requests.len()
                    ),
                ),
                metrics::BATCH,
            ));
        }
        self.within_rate(metrics::BATCH)?;
        let viewer = self.viewer()?;
        let count = requests.len();
        let limits = &self.state.limits;
        let timeout = Duration::from_millis(limits.request_timeout_ms);
        let all = async {
            let mut answers = Vec::with_capacity(count);
            let mut outcome = Outcome::Ok;
            let mut wrote = false;
            for request in requests {
                let (answer, this) = match self.prepare(request) {
                    Err((code, message)) => (
                        BatchAnswer::Refused(json!({
                            "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
                        })),
                        Outcome::Refused,
                    ),
                    Ok((request, operation)) => {
                        wrote |= operation.is_mutation();
                        let response = run(self.state, viewer.clone(), request, operation).await;
                        let this = outcome_of(&response.errors, false);
                        (BatchAnswer::Ran(Box::new(response)), this)
                    }
                };
                // The batch's outcome is its worst answer's.
                outcome = outcome.max(this);
                answers.push(answer);
            }
            (answers, outcome, wrote)
        };
        let finished = tokio::time::timeout(timeout, all).await;
        // A batch cut short may have written before the cut.
        if finished.as_ref().map_or(true, |(_, _, wrote)| *wrote) {
            self.state.written();
        }
        let Ok((answers, outcome, _)) = finished else {
            return Err(timed_out(metrics::BATCH.to_owned()));
        };
        let mut response = (StatusCode::OK, to_json(&answers)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, media.header());
        Ok(Answer::new(response, outcome, metrics::BATCH))
    }

    /// One operation of a batch, resolved, parsed and checked; or why it may not run.
    fn prepare(
        &self,
        mut request: async_graphql::Request,
    ) -> Result<(async_graphql::Request, Operation), (Code, String)> {
        self.state
            .persisted
            .resolve(&mut request, None)
            .map_err(|refusal| (refusal.code.into(), refusal.message.to_owned()))?;
        let limits = &self.state.limits;
        let limit = |message| (Code::from(ErrorCode::LimitExceeded), message);
        limits::check_text(limits, &request.query).map_err(limit)?;
        let operation = self
            .parse(&request)
            .map_err(|error| (TransportCode::GraphqlParseFailed.into(), error.message))?;
        operation.check_limits(limits).map_err(limit)?;
        if let Some(message) = operation.missing_variable(&request.variables) {
            return Err((ErrorCode::BadUserInput.into(), message));
        }
        Ok((request, operation))
    }
}

/// One answer of a batch, serialised as it stands (see `to_json`).
#[derive(serde::Serialize)]
#[serde(untagged)]
pub(super) enum BatchAnswer {
    Refused(serde_json::Value),
    Ran(Box<async_graphql::Response>),
}
